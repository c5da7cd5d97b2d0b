package io.vq4j.ops;

import io.vq4j.ops.cpu.ActivationCpu;
import io.vq4j.ops.cpu.BatchNormCpu;
import io.vq4j.ops.cpu.ConvCpu;
import io.vq4j.ops.cpu.Im2col;
import io.vq4j.ops.cpu.LinearCpu;

/**
 * The pure-Java layer ops on host tensors: the fallback where no GPU is usable and the reference
 * the CUDA layers are tested against. Checks live in {@link CheckedLayerOps}; the float[] kernels
 * in {@link io.vq4j.ops.cpu}; this class allocates the outputs and routes.
 */
public final class CpuLayerOps extends CheckedLayerOps {

    @Override public String name() { return "cpu"; }

    @Override protected boolean holds(Tensor t) { return !t.isOnDevice(); }

    @Override public void close() {}

    // ---- convolution ----------------------------------------------------------------------

    /** conv2d's im2col view: the input image, slid over to the output size. */
    private static Im2col.Geometry convGeometry(ConvShape g) {
        Conv2dSpec s = g.spec();
        return new Im2col.Geometry(g.inChannels(), g.inH(), g.inW(), g.kernelH(), g.kernelW(),
                s.strideH(), s.strideW(), s.padH(), s.padW(), g.outH(), g.outW());
    }

    /** The transposed convolution's: the output image, slid over to the input size (conv2d's adjoint). */
    private static Im2col.Geometry transposedGeometry(ConvShape g) {
        Conv2dSpec s = g.spec();
        return new Im2col.Geometry(g.outChannels(), g.outH(), g.outW(), g.kernelH(), g.kernelW(),
                s.strideH(), s.strideW(), s.padH(), s.padW(), g.inH(), g.inW());
    }

    @Override
    protected Tensor doConv2d(ConvShape g, Tensor x, Tensor weight, Tensor bias) {
        Tensor y = Tensor.zeros(DType.F32, g.outputShape());
        ConvCpu.conv2dForward(convGeometry(g), g.batch(), g.outChannels(), x.hostFloats(), weight.hostFloats(),
                floats(bias), y.hostFloats());
        return y;
    }

    @Override
    protected LayerGrads doConv2dBackward(ConvShape g, Tensor gradOut, Tensor x, Tensor weight, boolean withBias) {
        Tensor dx = Tensor.zeros(DType.F32, x.shape());
        Tensor dw = Tensor.zeros(DType.F32, weight.shape());
        Tensor db = withBias ? Tensor.zeros(DType.F32, g.outChannels()) : null;
        ConvCpu.conv2dBackward(convGeometry(g), g.batch(), g.outChannels(), gradOut.hostFloats(), x.hostFloats(),
                weight.hostFloats(), dx.hostFloats(), dw.hostFloats(), floats(db));
        return new LayerGrads(dx, dw, db);
    }

    @Override
    protected Tensor doConvTranspose2d(ConvShape g, Tensor x, Tensor weight, Tensor bias) {
        Tensor y = Tensor.zeros(DType.F32, g.outputShape());
        ConvCpu.convTransposeForward(transposedGeometry(g), g.batch(), g.inChannels(), x.hostFloats(),
                weight.hostFloats(), floats(bias), y.hostFloats());
        return y;
    }

    @Override
    protected LayerGrads doConvTranspose2dBackward(ConvShape g, Tensor gradOut, Tensor x, Tensor weight,
                                                   boolean withBias) {
        Tensor dx = Tensor.zeros(DType.F32, x.shape());
        Tensor dw = Tensor.zeros(DType.F32, weight.shape());
        Tensor db = withBias ? Tensor.zeros(DType.F32, g.outChannels()) : null;
        ConvCpu.convTransposeBackward(transposedGeometry(g), g.batch(), g.inChannels(), gradOut.hostFloats(),
                x.hostFloats(), weight.hostFloats(), dx.hostFloats(), dw.hostFloats(), floats(db));
        return new LayerGrads(dx, dw, db);
    }

    // ---- batch norm -----------------------------------------------------------------------

    @Override
    protected BatchNormOut doBatchNorm2dTrain(Tensor x, Tensor gamma, Tensor beta, BatchNormState running,
                                              float momentum, float eps) {
        int n = x.dim(0), c = x.dim(1), plane = x.dim(2) * x.dim(3);
        Tensor y = Tensor.zeros(DType.F32, x.shape());
        Tensor mean = Tensor.zeros(DType.F32, c), invstd = Tensor.zeros(DType.F32, c);
        BatchNormCpu.forwardTrain(n, c, plane, x.hostFloats(), gamma.hostFloats(), beta.hostFloats(), eps, momentum,
                running == null ? null : running.runningMean().hostFloats(),
                running == null ? null : running.runningVar().hostFloats(),
                y.hostFloats(), mean.hostFloats(), invstd.hostFloats());
        return new BatchNormOut(y, mean, invstd);
    }

    @Override
    protected Tensor doBatchNorm2dEval(Tensor x, Tensor gamma, Tensor beta, BatchNormState running, float eps) {
        Tensor y = Tensor.zeros(DType.F32, x.shape());
        BatchNormCpu.forwardEval(x.dim(0), x.dim(1), x.dim(2) * x.dim(3), x.hostFloats(), gamma.hostFloats(),
                beta.hostFloats(), eps, running.runningMean().hostFloats(), running.runningVar().hostFloats(),
                y.hostFloats());
        return y;
    }

    @Override
    protected LayerGrads doBatchNorm2dBackward(Tensor gradOut, Tensor x, Tensor gamma, Tensor saveMean,
                                               Tensor saveInvstd) {
        int c = x.dim(1);
        Tensor dx = Tensor.zeros(DType.F32, x.shape());
        Tensor dgamma = Tensor.zeros(DType.F32, c), dbeta = Tensor.zeros(DType.F32, c);
        BatchNormCpu.backward(x.dim(0), c, x.dim(2) * x.dim(3), gradOut.hostFloats(), x.hostFloats(),
                gamma.hostFloats(), saveMean.hostFloats(), saveInvstd.hostFloats(),
                dx.hostFloats(), dgamma.hostFloats(), dbeta.hostFloats());
        return new LayerGrads(dx, dgamma, dbeta);
    }

    // ---- activations ----------------------------------------------------------------------

    @Override
    protected Tensor doActivation(Activation act, Tensor x, float slope) {
        Tensor y = Tensor.zeros(DType.F32, x.shape());
        float[] in = x.hostFloats(), out = y.hostFloats();
        switch (act) {
            case RELU -> ActivationCpu.relu(in, out);
            case LEAKY_RELU -> ActivationCpu.leakyRelu(in, slope, out);
            case TANH -> ActivationCpu.tanh(in, out);
            case SIGMOID -> ActivationCpu.sigmoid(in, out);
        }
        return y;
    }

    @Override
    protected Tensor doActivationBackward(Activation act, Tensor gradOut, Tensor saved, float slope) {
        Tensor dx = Tensor.zeros(DType.F32, gradOut.shape());
        float[] dy = gradOut.hostFloats(), s = saved.hostFloats(), out = dx.hostFloats();
        switch (act) {
            case RELU -> ActivationCpu.reluBackward(dy, s, out);
            case LEAKY_RELU -> ActivationCpu.leakyReluBackward(dy, s, slope, out);
            case TANH -> ActivationCpu.tanhBackward(dy, s, out);
            case SIGMOID -> ActivationCpu.sigmoidBackward(dy, s, out);
        }
        return dx;
    }

    // ---- linear ---------------------------------------------------------------------------

    @Override
    protected Tensor doLinear(Tensor x, Tensor weight, Tensor bias) {
        int n = x.dim(0), in = x.dim(1), out = weight.dim(0);
        Tensor y = Tensor.zeros(DType.F32, n, out);
        LinearCpu.forward(n, in, out, x.hostFloats(), weight.hostFloats(), floats(bias), y.hostFloats());
        return y;
    }

    @Override
    protected LayerGrads doLinearBackward(Tensor gradOut, Tensor x, Tensor weight, boolean withBias) {
        int n = x.dim(0), in = x.dim(1), out = weight.dim(0);
        Tensor dx = Tensor.zeros(DType.F32, x.shape());
        Tensor dw = Tensor.zeros(DType.F32, weight.shape());
        Tensor db = withBias ? Tensor.zeros(DType.F32, out) : null;
        LinearCpu.backward(n, in, out, gradOut.hostFloats(), x.hostFloats(), weight.hostFloats(),
                dx.hostFloats(), dw.hostFloats(), floats(db));
        return new LayerGrads(dx, dw, db);
    }

    private static float[] floats(Tensor t) { return t == null ? null : t.hostFloats(); }

    // ---- training -------------------------------------------------------------------------

    @Override
    protected LossAndGrad doMseLoss(Tensor pred, Tensor target, boolean mean, float gradScale) {
        float[] p = pred.hostFloats(), t = target.hostFloats();
        Tensor grad = Tensor.zeros(DType.F32, pred.shape());
        float[] g = grad.hostFloats();
        // the kernel's arithmetic: grad = (gradScale * (1/n if mean)) * (2 e), e^2 summed in double
        float scale = mean ? gradScale / p.length : gradScale;
        double sum = io.vq4j.ops.cpu.LossCpu.mse(p, t, g, scale);
        return new LossAndGrad(Tensor.of(new float[] {(float) (mean ? sum / p.length : sum)}, 1), grad);
    }

    @Override
    protected Tensor doAxpby(float alpha, Tensor a, float beta, Tensor b) {
        float[] x = a.hostFloats(), y = b.hostFloats(), out = new float[x.length];
        io.vq4j.ops.cpu.Parallel.forRange(x.length, 1 << 15, (from, to) -> {
            for (int i = from; i < to; i++) out[i] = Math.fma(alpha, x[i], beta * y[i]);
        });
        return Tensor.of(out, a.shape());
    }

    @Override
    protected void doAdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamConfig c, long step) {
        io.vq4j.ops.cpu.AdamCpu.step(param.hostFloats(), grad.hostFloats(), m.hostFloats(), v.hostFloats(),
                c.lr(), c.beta1(), c.beta2(), c.eps(), c.weightDecay(), c.decoupled(), step);
    }
}
