package io.vq4j.ops;

import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.ffm.ConvolutionDescriptor;
import io.vq4j.cuda.ffm.CublasHandle;
import io.vq4j.cuda.ffm.CublasOp;
import io.vq4j.cuda.ffm.CudnnHandle;
import io.vq4j.cuda.ffm.CudnnMathType;
import io.vq4j.cuda.ffm.FilterDescriptor;
import io.vq4j.cuda.ffm.TensorDescriptor;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.kernels.ActivationKernels;
import io.vq4j.cuda.kernels.BatchNormKernels;
import io.vq4j.cuda.kernels.BiasGradKernels;

/**
 * The layer ops on the GPU: convolutions and batch norm through cuDNN, linear layers through
 * cuBLAS (both over FFM, on the bridge's stream and primary context), activations through
 * cuda/activation.cu. Same semantics as {@link CpuLayerOps}; the checks are {@link CheckedLayerOps}'.
 *
 * <p>A transposed convolution is the adjoint of a convolution, so it runs on cuDNN's passes with
 * roles swapped: its forward is the backward-data pass of the convolution whose filter is its
 * weight viewed as KCRS = (in, out, kH, kW); its input gradient is that convolution's forward,
 * and its weight gradient the backward-filter pass with gradOut as the "input" and x as the "dy".
 *
 * <p>Math mode: full FP32 (cuDNN's FMA, cuBLAS's default) unless {@code -Dvq4j.tf32=true}, which
 * lets cuDNN use TF32 tensor cores (what PyTorch does for convolutions by default).
 */
public final class CudaLayerOps extends CheckedLayerOps {
    private final CudaOps ops;
    private final CudnnHandle dnn;
    private final CublasHandle blas;
    private final CudnnMathType math;
    private volatile boolean closed;

    /** Layer ops sharing {@code ops}' stream and memory; TF32 convolutions when {@code -Dvq4j.tf32=true}. */
    public CudaLayerOps(CudaOps ops) { this(ops, Boolean.getBoolean("vq4j.tf32")); }

    /**
     * Layer ops sharing {@code ops}' stream and memory, with cuDNN's convolutions in full FP32 or,
     * when {@code tf32}, allowed TF32 tensor cores (e.g. a benchmark that times both in one run).
     */
    public CudaLayerOps(CudaOps ops, boolean tf32) {
        this.ops = ops;
        Cuda.Runtime rt = ops.runtime();
        this.math = tf32 ? CudnnMathType.TENSOR_OP_ALLOW_CONVERSION : CudnnMathType.FMA;
        CudnnHandle d = new CudnnHandle(rt.stream());
        try {
            this.blas = new CublasHandle(rt.stream());
        } catch (RuntimeException | Error e) {
            d.close(); // no half-made backend
            throw e;
        }
        this.dnn = d;
    }

    @Override public String name() { return "cuda"; }

    /** Whether cuDNN may use TF32 tensor cores for the convolutions. */
    public boolean tf32() { return math != CudnnMathType.FMA; }

    /** Bytes of the cuDNN workspace this backend keeps and reuses (grown to the largest algorithm's need). */
    public long workspaceBytes() { return dnn.workspaceBytes(); }

    @Override protected boolean holds(Tensor t) { return t.isOnDevice(); }

    private Tensor empty(int... shape) { return ops.empty(DType.F32, shape); }

    private static long addr(Tensor t) { return t.deviceBuffer().address(); }

    private static TensorDescriptor nchw(int[] s) { return TensorDescriptor.nchw(s[0], s[1], s[2], s[3]); }

    private ConvolutionDescriptor conv(Conv2dSpec s) {
        return new ConvolutionDescriptor(s.padH(), s.padW(), s.strideH(), s.strideW(), 1, 1, math);
    }

    /** y += bias broadcast over (N, H, W): bias is [C], y is [N, C, H, W] (or [N, C] as [N, C, 1, 1]). */
    private void addBias(Tensor bias, TensorDescriptor yDesc, Tensor y) {
        try (TensorDescriptor b = TensorDescriptor.nchw(1, bias.dim(0), 1, 1)) {
            dnn.addTensor(1f, b, addr(bias), 1f, yDesc, addr(y));
        }
    }

    /**
     * db = sum of dy over (N, H, W), as a [C] tensor: dy is [N, C, H, W] or [N, C]. Our own
     * deterministic reduction (cuda/bias_grad.cu), not cudnnConvolutionBackwardBias, which was
     * 10x slower on the H100 (see the kernel's header).
     */
    private Tensor biasGrad(Tensor dy) {
        int n = dy.dim(0), c = dy.dim(1);
        long hw = dy.numel() / ((long) n * c);
        Tensor db = empty(c);
        try (DeviceBuffer partial = new DeviceBuffer(ops.runtime().stream(), 8L * BiasGradKernels.partialDoubles(n, c))) {
            BiasGradKernels.biasGrad(ops.runtime(), new BiasGradKernels.Params(db.deviceBuffer(), partial, dy.deviceBuffer(), n, c, hw));
            return db;
        } catch (RuntimeException | Error e) {
            db.close();
            throw e;
        }
    }

    // ---- convolution ----------------------------------------------------------------------

    @Override
    protected Tensor doConv2d(ConvShape g, Tensor x, Tensor weight, Tensor bias) {
        Tensor y = empty(g.outputShape());
        try (TensorDescriptor xd = nchw(g.inputShape()); TensorDescriptor yd = nchw(g.outputShape());
             FilterDescriptor wd = FilterDescriptor.kcrs(g.outChannels(), g.inChannels(), g.kernelH(), g.kernelW());
             ConvolutionDescriptor cd = conv(g.spec())) {
            dnn.convolutionForward(1f, xd, addr(x), wd, addr(weight), cd, 0f, yd, addr(y));
            if (bias != null) addBias(bias, yd, y);
            return y;
        } catch (RuntimeException | Error e) {
            y.close();
            throw e;
        }
    }

    @Override
    protected LayerGrads doConv2dBackward(ConvShape g, Tensor gradOut, Tensor x, Tensor weight, boolean withBias) {
        Tensor dx = null, dw = null, db = null;
        try (TensorDescriptor xd = nchw(g.inputShape()); TensorDescriptor yd = nchw(g.outputShape());
             FilterDescriptor wd = FilterDescriptor.kcrs(g.outChannels(), g.inChannels(), g.kernelH(), g.kernelW());
             ConvolutionDescriptor cd = conv(g.spec())) {
            dx = empty(g.inputShape());
            dnn.convolutionBackwardData(1f, wd, addr(weight), yd, addr(gradOut), cd, 0f, xd, addr(dx));
            dw = empty(weight.shape());
            dnn.convolutionBackwardFilter(1f, xd, addr(x), yd, addr(gradOut), cd, 0f, wd, addr(dw));
            if (withBias) db = biasGrad(gradOut);
            return new LayerGrads(dx, dw, db);
        } catch (RuntimeException | Error e) {
            closeAll(dx, dw, db);
            throw e;
        }
    }

    @Override
    protected Tensor doConvTranspose2d(ConvShape g, Tensor x, Tensor weight, Tensor bias) {
        Tensor y = empty(g.outputShape());
        // the convolution whose adjoint this is maps y-space [N, O, Ho, Wo] to x-space [N, C, H, W]
        try (TensorDescriptor xd = nchw(g.inputShape()); TensorDescriptor yd = nchw(g.outputShape());
             FilterDescriptor wd = FilterDescriptor.kcrs(g.inChannels(), g.outChannels(), g.kernelH(), g.kernelW());
             ConvolutionDescriptor cd = conv(g.spec())) {
            dnn.convolutionBackwardData(1f, wd, addr(weight), xd, addr(x), cd, 0f, yd, addr(y));
            if (bias != null) addBias(bias, yd, y);
            return y;
        } catch (RuntimeException | Error e) {
            y.close();
            throw e;
        }
    }

    @Override
    protected LayerGrads doConvTranspose2dBackward(ConvShape g, Tensor gradOut, Tensor x, Tensor weight,
                                                   boolean withBias) {
        Tensor dx = null, dw = null, db = null;
        try (TensorDescriptor xd = nchw(g.inputShape()); TensorDescriptor yd = nchw(g.outputShape());
             FilterDescriptor wd = FilterDescriptor.kcrs(g.inChannels(), g.outChannels(), g.kernelH(), g.kernelW());
             ConvolutionDescriptor cd = conv(g.spec())) {
            dx = empty(g.inputShape());
            dnn.convolutionForward(1f, yd, addr(gradOut), wd, addr(weight), cd, 0f, xd, addr(dx));
            dw = empty(weight.shape());
            dnn.convolutionBackwardFilter(1f, yd, addr(gradOut), xd, addr(x), cd, 0f, wd, addr(dw));
            if (withBias) db = biasGrad(gradOut);
            return new LayerGrads(dx, dw, db);
        } catch (RuntimeException | Error e) {
            closeAll(dx, dw, db);
            throw e;
        }
    }

    // ---- batch norm -----------------------------------------------------------------------

    @Override
    protected BatchNormOut doBatchNorm2dTrain(Tensor x, Tensor gamma, Tensor beta, BatchNormState running,
                                              float momentum, float eps) {
        int n = x.dim(0), c = x.dim(1);
        long hw = x.numel() / ((long) n * c);
        Tensor y = null, mean = null, invstd = null;
        // our own kernels (cuda/batch_norm.cu), not cuDNN's, which were 2-4x slower at the training sizes
        try (DeviceBuffer partial = new DeviceBuffer(ops.runtime().stream(), 8L * BatchNormKernels.partialDoubles(n, c, hw));
             DeviceBuffer params = new DeviceBuffer(ops.runtime().stream(), 4L * BatchNormKernels.paramFloats(c))) {
            y = empty(x.shape());
            mean = empty(c);
            invstd = empty(c);
            BatchNormKernels.forward(ops.runtime(), new BatchNormKernels.Forward(y.deviceBuffer(), mean.deviceBuffer(),
                    invstd.deviceBuffer(), running == null ? null : running.runningMean().deviceBuffer(),
                    running == null ? null : running.runningVar().deviceBuffer(), x.deviceBuffer(), gamma.deviceBuffer(),
                    beta.deviceBuffer(), partial, params, n, c, hw, eps, momentum));
            return new BatchNormOut(y, mean, invstd);
        } catch (RuntimeException | Error e) {
            closeAll(y, mean, invstd);
            throw e;
        }
    }

    @Override
    protected Tensor doBatchNorm2dEval(Tensor x, Tensor gamma, Tensor beta, BatchNormState running, float eps) {
        Tensor y = empty(x.shape());
        try (TensorDescriptor xd = nchw(x.shape()); TensorDescriptor bn = TensorDescriptor.batchNormParams(xd)) {
            dnn.batchNormForwardInference(1f, 0f, xd, addr(x), xd, addr(y), bn, addr(gamma), addr(beta),
                    addr(running.runningMean()), addr(running.runningVar()), eps);
            return y;
        } catch (RuntimeException | Error e) {
            y.close();
            throw e;
        }
    }

    @Override
    protected LayerGrads doBatchNorm2dBackward(Tensor gradOut, Tensor x, Tensor gamma, Tensor saveMean,
                                               Tensor saveInvstd) {
        int n = x.dim(0), c = x.dim(1);
        long hw = x.numel() / ((long) n * c);
        Tensor dx = null, dGamma = null, dBeta = null;
        try (DeviceBuffer partial = new DeviceBuffer(ops.runtime().stream(), 8L * BatchNormKernels.partialDoubles(n, c, hw));
             DeviceBuffer params = new DeviceBuffer(ops.runtime().stream(), 4L * BatchNormKernels.paramFloats(c))) {
            dx = empty(x.shape());
            dGamma = empty(c);
            dBeta = empty(c);
            BatchNormKernels.backward(ops.runtime(), new BatchNormKernels.Backward(dx.deviceBuffer(), dGamma.deviceBuffer(),
                    dBeta.deviceBuffer(), gradOut.deviceBuffer(), x.deviceBuffer(), gamma.deviceBuffer(),
                    saveMean.deviceBuffer(), saveInvstd.deviceBuffer(), partial, params, n, c, hw));
            return new LayerGrads(dx, dGamma, dBeta);
        } catch (RuntimeException | Error e) {
            closeAll(dx, dGamma, dBeta);
            throw e;
        }
    }

    // ---- activations ----------------------------------------------------------------------

    private static ActivationKernels.Kind kind(Activation act) {
        return switch (act) {
            case RELU -> ActivationKernels.Kind.RELU;
            case LEAKY_RELU -> ActivationKernels.Kind.LEAKY_RELU;
            case TANH -> ActivationKernels.Kind.TANH;
            case SIGMOID -> ActivationKernels.Kind.SIGMOID;
        };
    }

    @Override
    protected Tensor doActivation(Activation act, Tensor x, float slope) {
        Tensor y = empty(x.shape());
        try {
            ActivationKernels.forward(ops.runtime(), new ActivationKernels.Forward(y.deviceBuffer(), x.deviceBuffer(),
                    x.numel(), kind(act), slope));
            return y;
        } catch (RuntimeException | Error e) {
            y.close();
            throw e;
        }
    }

    @Override
    protected Tensor doActivationBackward(Activation act, Tensor gradOut, Tensor saved, float slope) {
        // ReLU's saved tensor is its output y: y > 0 exactly where x > 0, so the kernel's test holds
        Tensor dx = empty(gradOut.shape());
        try {
            ActivationKernels.backward(ops.runtime(), new ActivationKernels.Backward(dx.deviceBuffer(),
                    gradOut.deviceBuffer(), saved.deviceBuffer(), gradOut.numel(), kind(act), slope));
            return dx;
        } catch (RuntimeException | Error e) {
            dx.close();
            throw e;
        }
    }

    // ---- linear ---------------------------------------------------------------------------

    @Override
    protected Tensor doLinear(Tensor x, Tensor weight, Tensor bias) {
        int n = x.dim(0), in = x.dim(1), out = weight.dim(0);
        Tensor y = empty(n, out);
        try {
            blas.sgemmRowMajor(CublasOp.N, CublasOp.T, n, out, in, 1f, addr(x), addr(weight), 0f, addr(y));
            if (bias != null) {
                try (TensorDescriptor yd = TensorDescriptor.nchw(n, out, 1, 1)) {
                    addBias(bias, yd, y);
                }
            }
            return y;
        } catch (RuntimeException | Error e) {
            y.close();
            throw e;
        }
    }

    @Override
    protected LayerGrads doLinearBackward(Tensor gradOut, Tensor x, Tensor weight, boolean withBias) {
        int n = x.dim(0), in = x.dim(1), out = weight.dim(0);
        Tensor dx = null, dw = null, db = null;
        try {
            dx = empty(n, in);
            blas.sgemmRowMajor(CublasOp.N, CublasOp.N, n, in, out, 1f, addr(gradOut), addr(weight), 0f, addr(dx));
            dw = empty(out, in);
            blas.sgemmRowMajor(CublasOp.T, CublasOp.N, out, in, n, 1f, addr(gradOut), addr(x), 0f, addr(dw));
            if (withBias) {
                db = biasGrad(gradOut);
            }
            return new LayerGrads(dx, dw, db);
        } catch (RuntimeException | Error e) {
            closeAll(dx, dw, db);
            throw e;
        }
    }

    // ---- training -------------------------------------------------------------------------

    @Override
    protected LossAndGrad doMseLoss(Tensor pred, Tensor target, boolean mean, float gradScale) {
        long n = pred.numel();
        Tensor grad = null, value = null;
        try (io.vq4j.cuda.DeviceBuffer partials = new io.vq4j.cuda.DeviceBuffer(ops.runtime().stream(),
                8L * io.vq4j.cuda.kernels.LossKernels.MSE_BLOCKS)) {
            grad = empty(pred.shape());
            value = empty(1);
            io.vq4j.cuda.kernels.LossKernels.mse(ops.runtime(), new io.vq4j.cuda.kernels.LossKernels.Mse(
                    pred.deviceBuffer(), target.deviceBuffer(), grad.deviceBuffer(), n,
                    mean ? gradScale / n : gradScale, mean ? 1.0 / n : 1.0, partials, value.deviceBuffer()));
            return new LossAndGrad(value, grad);
        } catch (RuntimeException | Error e) {
            closeAll(grad, value);
            throw e;
        }
    }

    @Override
    protected Tensor doAxpby(float alpha, Tensor a, float beta, Tensor b) {
        Tensor out = empty(a.shape());
        try {
            io.vq4j.cuda.kernels.LossKernels.axpby(ops.runtime(), new io.vq4j.cuda.kernels.LossKernels.Axpby(
                    out.deviceBuffer(), alpha, a.deviceBuffer(), beta, b.deviceBuffer(), a.numel()));
            return out;
        } catch (RuntimeException | Error e) {
            out.close();
            throw e;
        }
    }

    @Override
    protected void doAdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamConfig c, long step) {
        io.vq4j.cuda.kernels.OptimKernels.adam(ops.runtime(), new io.vq4j.cuda.kernels.OptimKernels.AdamStep(
                param.deviceBuffer(), grad.deviceBuffer(), m.deviceBuffer(), v.deviceBuffer(), param.numel(),
                c.lr(), c.beta1(), c.beta2(), c.eps(), c.weightDecay(), c.decoupled(), step));
    }

    private static void closeAll(Tensor... ts) {
        for (Tensor t : ts) if (t != null) t.close();
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            blas.close();
        } finally {
            dnn.close();
        }
    }
}
