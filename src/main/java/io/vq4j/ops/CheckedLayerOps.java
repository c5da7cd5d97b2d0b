package io.vq4j.ops;

import java.util.Arrays;

/**
 * The argument checks of every layer op, written once for all backends: each public method
 * validates (null, closed, dtype, residency, ranks, channels, sizes) with a message that names the
 * op and the shapes, works out the geometry, then calls the backend's {@code do...} method, which
 * may assume valid arguments.
 */
public abstract class CheckedLayerOps implements LayerOps {

    /** Whether {@code t} lives in this backend's memory. */
    protected abstract boolean holds(Tensor t);

    protected abstract Tensor doConv2d(ConvShape g, Tensor x, Tensor weight, Tensor bias);
    protected abstract LayerGrads doConv2dBackward(ConvShape g, Tensor gradOut, Tensor x, Tensor weight, boolean withBias);
    protected abstract Tensor doConvTranspose2d(ConvShape g, Tensor x, Tensor weight, Tensor bias);
    protected abstract LayerGrads doConvTranspose2dBackward(ConvShape g, Tensor gradOut, Tensor x, Tensor weight,
                                                            boolean withBias);
    protected abstract BatchNormOut doBatchNorm2dTrain(Tensor x, Tensor gamma, Tensor beta, BatchNormState running,
                                                       float momentum, float eps);
    protected abstract Tensor doBatchNorm2dEval(Tensor x, Tensor gamma, Tensor beta, BatchNormState running, float eps);
    protected abstract LayerGrads doBatchNorm2dBackward(Tensor gradOut, Tensor x, Tensor gamma, Tensor saveMean,
                                                        Tensor saveInvstd);
    protected abstract Tensor doActivation(Activation act, Tensor x, float slope);
    protected abstract Tensor doActivationBackward(Activation act, Tensor gradOut, Tensor saved, float slope);
    protected abstract Tensor doLinear(Tensor x, Tensor weight, Tensor bias);
    protected abstract LayerGrads doLinearBackward(Tensor gradOut, Tensor x, Tensor weight, boolean withBias);
    protected abstract LossAndGrad doMseLoss(Tensor pred, Tensor target, boolean mean, float gradScale);
    protected abstract Tensor doAxpby(float alpha, Tensor a, float beta, Tensor b);
    protected abstract void doAdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamConfig config, long step);

    /** The activations, for the backends' one elementwise entry point. */
    protected enum Activation { RELU, LEAKY_RELU, TANH, SIGMOID }

    // ---- convolution ----------------------------------------------------------------------

    @Override
    public final Tensor conv2d(Tensor x, Tensor weight, Tensor bias, Conv2dSpec spec) {
        ConvShape g = convShape("conv2d", x, weight, bias, spec);
        return doConv2d(g, x, weight, bias);
    }

    @Override
    public final LayerGrads conv2dBackward(Tensor gradOut, Tensor x, Tensor weight, boolean withBias, Conv2dSpec spec) {
        ConvShape g = convShape("conv2dBackward", x, weight, null, spec);
        gradOut("conv2dBackward", gradOut, g.outputShape(), "conv2d of x " + x.shapeString() + " and weight "
                + weight.shapeString() + " with " + spec);
        return doConv2dBackward(g, gradOut, x, weight, withBias);
    }

    @Override
    public final Tensor convTranspose2d(Tensor x, Tensor weight, Tensor bias, Conv2dSpec spec) {
        ConvShape g = convTransposeShape("convTranspose2d", x, weight, bias, spec);
        return doConvTranspose2d(g, x, weight, bias);
    }

    @Override
    public final LayerGrads convTranspose2dBackward(Tensor gradOut, Tensor x, Tensor weight, boolean withBias,
                                                    Conv2dSpec spec) {
        ConvShape g = convTransposeShape("convTranspose2dBackward", x, weight, null, spec);
        gradOut("convTranspose2dBackward", gradOut, g.outputShape(), "convTranspose2d of x " + x.shapeString()
                + " and weight " + weight.shapeString() + " with " + spec);
        return doConvTranspose2dBackward(g, gradOut, x, weight, withBias);
    }

    private ConvShape convShape(String op, Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) {
        image(op, x, "input");
        tensor(op, w, "weight");
        rank(op, w, "weight", 4, "[O, C, kH, kW]");
        nonEmpty(op, w, "weight");
        if (spec == null) throw new IllegalArgumentException(op + ": spec must not be null");
        if (spec.outPadH() != 0 || spec.outPadW() != 0) {
            throw new IllegalArgumentException(op + ": outputPadding is for transposed convolutions, got " + spec);
        }
        if (x.dim(1) != w.dim(1)) {
            throw new IllegalArgumentException(op + ": input " + x.shapeString() + " has " + x.dim(1)
                    + " channels but weight " + w.shapeString() + " expects " + w.dim(1));
        }
        int kh = w.dim(2), kw = w.dim(3);
        if ((long) x.dim(2) + 2L * spec.padH() < kh || (long) x.dim(3) + 2L * spec.padW() < kw) {
            throw new IllegalArgumentException(op + ": input " + x.shapeString() + " padded by (" + spec.padH() + ", "
                    + spec.padW() + ") is smaller than the " + kh + "x" + kw + " kernel of weight " + w.shapeString());
        }
        bias(op, bias, w.dim(0), w);
        long oh = spec.convOutH(x.dim(2), kh), ow = spec.convOutW(x.dim(3), kw);
        checkOutput(op, x, w, x.dim(0), w.dim(0), oh, ow);
        return new ConvShape(x.dim(0), x.dim(1), x.dim(2), x.dim(3), w.dim(0), (int) oh, (int) ow, kh, kw, spec);
    }

    private ConvShape convTransposeShape(String op, Tensor x, Tensor w, Tensor bias, Conv2dSpec spec) {
        image(op, x, "input");
        tensor(op, w, "weight");
        rank(op, w, "weight", 4, "[C, O, kH, kW]");
        nonEmpty(op, w, "weight");
        if (spec == null) throw new IllegalArgumentException(op + ": spec must not be null");
        if (x.dim(1) != w.dim(0)) {
            throw new IllegalArgumentException(op + ": input " + x.shapeString() + " has " + x.dim(1)
                    + " channels but weight " + w.shapeString() + " (in, out, kH, kW) expects " + w.dim(0));
        }
        int kh = w.dim(2), kw = w.dim(3);
        bias(op, bias, w.dim(1), w);
        long oh = spec.transposedOutH(x.dim(2), kh), ow = spec.transposedOutW(x.dim(3), kw);
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException(op + ": input " + x.shapeString() + " with weight " + w.shapeString()
                    + " and " + spec + " gives an empty output " + oh + "x" + ow);
        }
        checkOutput(op, x, w, x.dim(0), w.dim(1), oh, ow);
        return new ConvShape(x.dim(0), x.dim(1), x.dim(2), x.dim(3), w.dim(1), (int) oh, (int) ow, kh, kw, spec);
    }

    private static void checkOutput(String op, Tensor x, Tensor w, int n, int o, long oh, long ow) {
        if (oh > Integer.MAX_VALUE || ow > Integer.MAX_VALUE || (long) n * o * oh * ow > Tensor.MAX_HOST_ELEMENTS) {
            throw new IllegalArgumentException(op + ": output [" + n + ", " + o + ", " + oh + ", " + ow
                    + "] of input " + x.shapeString() + " and weight " + w.shapeString() + " is too large");
        }
    }

    // ---- batch norm -----------------------------------------------------------------------

    @Override
    public final BatchNormOut batchNorm2dTrain(Tensor x, Tensor gamma, Tensor beta, BatchNormState running,
                                               float momentum, float eps) {
        String op = "batchNorm2dTrain";
        image(op, x, "input");
        perChannel(op, gamma, "gamma", x);
        perChannel(op, beta, "beta", x);
        if (running != null) runningStats(op, running, x);
        if (!(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException(op + ": momentum must be in [0, 1], got " + momentum);
        }
        eps(op, eps);
        if ((long) x.dim(0) * x.dim(2) * x.dim(3) < 2) {
            throw new IllegalArgumentException(op + ": input " + x.shapeString()
                    + " has one value per channel; training needs more than one to estimate a variance");
        }
        return doBatchNorm2dTrain(x, gamma, beta, running, momentum, eps);
    }

    @Override
    public final Tensor batchNorm2dEval(Tensor x, Tensor gamma, Tensor beta, BatchNormState running, float eps) {
        String op = "batchNorm2dEval";
        image(op, x, "input");
        perChannel(op, gamma, "gamma", x);
        perChannel(op, beta, "beta", x);
        if (running == null) throw new IllegalArgumentException(op + ": running statistics must not be null");
        runningStats(op, running, x);
        eps(op, eps);
        return doBatchNorm2dEval(x, gamma, beta, running, eps);
    }

    @Override
    public final LayerGrads batchNorm2dBackward(Tensor gradOut, Tensor x, Tensor gamma, Tensor saveMean,
                                                Tensor saveInvstd) {
        String op = "batchNorm2dBackward";
        image(op, x, "input");
        perChannel(op, gamma, "gamma", x);
        perChannel(op, saveMean, "saveMean", x);
        perChannel(op, saveInvstd, "saveInvstd", x);
        gradOut(op, gradOut, x.shape(), "input " + x.shapeString());
        return doBatchNorm2dBackward(gradOut, x, gamma, saveMean, saveInvstd);
    }

    private void runningStats(String op, BatchNormState s, Tensor x) {
        perChannel(op, s.runningMean(), "runningMean", x);
        perChannel(op, s.runningVar(), "runningVar", x);
    }

    private void perChannel(String op, Tensor t, String name, Tensor x) {
        tensor(op, t, name);
        if (t.rank() != 1 || t.dim(0) != x.dim(1)) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.shapeString() + " must be [C] = [" + x.dim(1)
                    + "] for input " + x.shapeString());
        }
    }

    private static void eps(String op, float eps) {
        if (!(eps > 0) || Float.isInfinite(eps)) {
            throw new IllegalArgumentException(op + ": eps must be finite and > 0, got " + eps);
        }
    }

    // ---- activations ----------------------------------------------------------------------

    @Override public final Tensor relu(Tensor x) { return activation("relu", Activation.RELU, x, 0f); }

    @Override
    public final Tensor reluBackward(Tensor gradOut, Tensor y) {
        return activationBackward("reluBackward", Activation.RELU, gradOut, y, "output y", 0f);
    }

    @Override
    public final Tensor leakyRelu(Tensor x, float slope) {
        slope("leakyRelu", slope);
        return activation("leakyRelu", Activation.LEAKY_RELU, x, slope);
    }

    @Override
    public final Tensor leakyReluBackward(Tensor gradOut, Tensor x, float slope) {
        slope("leakyReluBackward", slope);
        return activationBackward("leakyReluBackward", Activation.LEAKY_RELU, gradOut, x, "input x", slope);
    }

    @Override public final Tensor tanh(Tensor x) { return activation("tanh", Activation.TANH, x, 0f); }

    @Override
    public final Tensor tanhBackward(Tensor gradOut, Tensor y) {
        return activationBackward("tanhBackward", Activation.TANH, gradOut, y, "output y", 0f);
    }

    @Override public final Tensor sigmoid(Tensor x) { return activation("sigmoid", Activation.SIGMOID, x, 0f); }

    @Override
    public final Tensor sigmoidBackward(Tensor gradOut, Tensor y) {
        return activationBackward("sigmoidBackward", Activation.SIGMOID, gradOut, y, "output y", 0f);
    }

    private Tensor activation(String op, Activation act, Tensor x, float slope) {
        tensor(op, x, "input");
        return doActivation(act, x, slope);
    }

    private Tensor activationBackward(String op, Activation act, Tensor gradOut, Tensor saved, String savedName,
                                      float slope) {
        tensor(op, saved, savedName);
        gradOut(op, gradOut, saved.shape(), savedName + " " + saved.shapeString());
        return doActivationBackward(act, gradOut, saved, slope);
    }

    private static void slope(String op, float slope) {
        if (!Float.isFinite(slope)) throw new IllegalArgumentException(op + ": slope must be finite, got " + slope);
    }

    // ---- linear ---------------------------------------------------------------------------

    @Override
    public final Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        linearShapes("linear", x, weight);
        bias("linear", bias, weight.dim(0), weight);
        return doLinear(x, weight, bias);
    }

    @Override
    public final LayerGrads linearBackward(Tensor gradOut, Tensor x, Tensor weight, boolean withBias) {
        linearShapes("linearBackward", x, weight);
        gradOut("linearBackward", gradOut, new int[] {x.dim(0), weight.dim(0)},
                "linear of x " + x.shapeString() + " and weight " + weight.shapeString());
        return doLinearBackward(gradOut, x, weight, withBias);
    }

    private void linearShapes(String op, Tensor x, Tensor w) {
        tensor(op, x, "input");
        rank(op, x, "input", 2, "[N, in]");
        nonEmpty(op, x, "input");
        tensor(op, w, "weight");
        rank(op, w, "weight", 2, "[out, in]");
        nonEmpty(op, w, "weight");
        if (x.dim(1) != w.dim(1)) {
            throw new IllegalArgumentException(op + ": input " + x.shapeString() + " has " + x.dim(1)
                    + " features but weight " + w.shapeString() + " expects " + w.dim(1));
        }
    }

    // ---- training -------------------------------------------------------------------------

    @Override
    public final LossAndGrad mseLoss(Tensor pred, Tensor target, boolean mean, float gradScale) {
        String op = "mseLoss";
        tensor(op, pred, "pred");
        tensor(op, target, "target");
        sameShape(op, target, "target", pred, "pred");
        nonEmpty(op, pred, "pred");
        if (!Float.isFinite(gradScale)) throw new IllegalArgumentException(op + ": gradScale must be finite, got " + gradScale);
        return doMseLoss(pred, target, mean, gradScale);
    }

    @Override
    public final Tensor axpby(float alpha, Tensor a, float beta, Tensor b) {
        String op = "axpby";
        tensor(op, a, "a");
        tensor(op, b, "b");
        sameShape(op, b, "b", a, "a");
        return doAxpby(alpha, a, beta, b);
    }

    @Override
    public final void adamStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamConfig config, long step) {
        String op = "adamStep";
        tensor(op, param, "param");
        tensor(op, grad, "grad");
        tensor(op, m, "m");
        tensor(op, v, "v");
        sameShape(op, grad, "grad", param, "param");
        sameShape(op, m, "m", param, "param");
        sameShape(op, v, "v", param, "param");
        if (config == null) throw new IllegalArgumentException(op + ": config must not be null");
        if (step < 1) throw new IllegalArgumentException(op + ": step must be >= 1 (1-based), got " + step);
        doAdamStep(param, grad, m, v, config, step);
    }

    // ---- the checks -----------------------------------------------------------------------

    private static void sameShape(String op, Tensor t, String name, Tensor ref, String refName) {
        if (!Arrays.equals(t.shape(), ref.shape())) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.shapeString() + " must have the shape of "
                    + refName + " " + ref.shapeString());
        }
    }

    /** Non-null, open, F32, of this backend. */
    protected final void tensor(String op, Tensor t, String name) {
        if (t == null) throw new IllegalArgumentException(op + ": " + name + " must not be null");
        if (t.isClosed()) throw new IllegalArgumentException(op + ": " + name + " " + t.describe() + " is closed");
        if (t.dtype() != DType.F32) throw new IllegalArgumentException(op + ": " + name + " must be F32, got " + t.describe());
        if (!holds(t)) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.describe() + " is not in the " + name()
                    + " backend's memory; copy it with ops.upload(" + name + ")");
        }
    }

    /** An NCHW tensor with no empty dimension. */
    private void image(String op, Tensor x, String name) {
        tensor(op, x, name);
        rank(op, x, name, 4, "[N, C, H, W]");
        nonEmpty(op, x, name);
    }

    private static void rank(String op, Tensor t, String name, int rank, String expected) {
        if (t.rank() != rank) {
            throw new IllegalArgumentException(op + ": " + name + " must be " + expected + " (rank " + rank + "), got "
                    + t.shapeString());
        }
    }

    private static void nonEmpty(String op, Tensor t, String name) {
        if (t.numel() == 0) throw new IllegalArgumentException(op + ": " + name + " " + t.shapeString() + " is empty");
    }

    private void bias(String op, Tensor bias, int outChannels, Tensor w) {
        if (bias == null) return;
        tensor(op, bias, "bias");
        if (bias.rank() != 1 || bias.dim(0) != outChannels) {
            throw new IllegalArgumentException(op + ": bias " + bias.shapeString() + " must be [" + outChannels
                    + "] for weight " + w.shapeString());
        }
    }

    private void gradOut(String op, Tensor gradOut, int[] expected, String forward) {
        tensor(op, gradOut, "gradOut");
        if (!Arrays.equals(gradOut.shape(), expected)) {
            throw new IllegalArgumentException(op + ": gradOut " + gradOut.shapeString() + " must be "
                    + Arrays.toString(expected) + ", the output of " + forward);
        }
    }
}
