package io.vq4j.ops;

/**
 * The layer ops of a conv VQ-VAE / VAE, forward and backward, with PyTorch's semantics and
 * parameter layouts (NCHW, float32): {@code Conv2d}, {@code ConvTranspose2d}, {@code BatchNorm2d},
 * {@code Linear} and the activations. {@link CpuLayerOps} is the pure-Java twin (the fallback and
 * the test reference); a CUDA implementation (cuDNN, cuBLAS) extends {@link CheckedLayerOps} too.
 *
 * <h2>Conventions</h2>
 * Forward ops return new tensors; backward ops take the upstream gradient {@code gradOut} (the
 * forward output's shape) and what the forward saw, and return new gradient tensors, each in its
 * parameter's shape. Saved state is plain tensors (batch norm's mean and invstd; an activation's
 * input or output), so no backend-specific workspace crosses this interface. Tensors live in the
 * memory of the {@link Ops} backend of the same {@link #name()} ({@code ops.upload} copies them).
 *
 * <h2>Errors</h2>
 * Bad arguments raise {@link IllegalArgumentException} naming the op and the shapes, e.g.
 * {@code "conv2d: input [2, 4, 9, 9] has 4 channels but weight [8, 3, 3, 3] expects 3"}: null,
 * closed or non-F32 tensors, tensors of another backend, wrong ranks, mismatched channels or
 * features, an input smaller than the kernel, a gradOut whose shape is not the forward output's,
 * batch norm training on a single value per channel (no variance, as in PyTorch).
 *
 * <h2>Ownership</h2>
 * Returned tensors belong to the caller. Inputs are never modified, except batch norm's running
 * statistics, which {@link #batchNorm2dTrain} updates in place.
 */
public interface LayerOps extends AutoCloseable {

    /** PyTorch's defaults for {@code BatchNorm2d}. */
    float BATCH_NORM_MOMENTUM = 0.1f;
    float BATCH_NORM_EPS = 1e-5f;

    /** "cpu" or "cuda": the {@link Ops} backend whose tensors these ops take. */
    String name();

    // ---- convolution ----------------------------------------------------------------------

    /**
     * {@code y = conv2d(x, weight) + bias}: x {@code [N, C, H, W]}, weight {@code [O, C, kH, kW]},
     * bias {@code [O]} or null; y {@code [N, O, Ho, Wo]} with
     * {@code Ho = floor((H + 2*padH - kH) / strideH) + 1} (likewise Wo). {@code spec} must have no
     * output padding.
     */
    Tensor conv2d(Tensor x, Tensor weight, Tensor bias, Conv2dSpec spec);

    /** Gradients of {@link #conv2d} for x, weight and (when {@code withBias}) bias. */
    LayerGrads conv2dBackward(Tensor gradOut, Tensor x, Tensor weight, boolean withBias, Conv2dSpec spec);

    /**
     * PyTorch's {@code ConvTranspose2d} (the adjoint of conv2d in x): x {@code [N, C, H, W]},
     * weight {@code [C, O, kH, kW]} (in, out), bias {@code [O]} or null; y {@code [N, O, Ho, Wo]}
     * with {@code Ho = (H - 1)*strideH - 2*padH + kH + outPadH} (likewise Wo).
     */
    Tensor convTranspose2d(Tensor x, Tensor weight, Tensor bias, Conv2dSpec spec);

    /** Gradients of {@link #convTranspose2d} for x, weight and (when {@code withBias}) bias. */
    LayerGrads convTranspose2dBackward(Tensor gradOut, Tensor x, Tensor weight, boolean withBias, Conv2dSpec spec);

    // ---- batch norm -----------------------------------------------------------------------

    /**
     * {@code BatchNorm2d} in training mode: per channel c, mean and biased variance over (N, H, W),
     * {@code y = (x - mean) / sqrt(var + eps) * gamma + beta}. When {@code running} is not null its
     * statistics are updated in place: {@code running = (1 - momentum)*running + momentum*batch},
     * with the unbiased variance {@code var * M/(M-1)}, M = N*H*W, as PyTorch does.
     * x {@code [N, C, H, W]}, gamma and beta {@code [C]}.
     */
    BatchNormOut batchNorm2dTrain(Tensor x, Tensor gamma, Tensor beta, BatchNormState running, float momentum, float eps);

    /** {@link #batchNorm2dTrain} with PyTorch's momentum 0.1 and eps 1e-5. */
    default BatchNormOut batchNorm2dTrain(Tensor x, Tensor gamma, Tensor beta, BatchNormState running) {
        return batchNorm2dTrain(x, gamma, beta, running, BATCH_NORM_MOMENTUM, BATCH_NORM_EPS);
    }

    /** {@code BatchNorm2d} in eval mode: {@code y = (x - runningMean) / sqrt(runningVar + eps) * gamma + beta}. */
    Tensor batchNorm2dEval(Tensor x, Tensor gamma, Tensor beta, BatchNormState running, float eps);

    /** {@link #batchNorm2dEval} with PyTorch's eps 1e-5. */
    default Tensor batchNorm2dEval(Tensor x, Tensor gamma, Tensor beta, BatchNormState running) {
        return batchNorm2dEval(x, gamma, beta, running, BATCH_NORM_EPS);
    }

    /**
     * Backward of {@link #batchNorm2dTrain} (the batch statistics depend on x): dInput, dWeight =
     * dgamma, dBias = dbeta, from x and the forward's saveMean and saveInvstd.
     */
    LayerGrads batchNorm2dBackward(Tensor gradOut, Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvstd);

    // ---- activations (any shape) -----------------------------------------------------------

    /** {@code max(x, 0)}. */
    Tensor relu(Tensor x);

    /** Backward of {@link #relu} from its output y (PyTorch: gradOut where y > 0, else 0). */
    Tensor reluBackward(Tensor gradOut, Tensor y);

    /** {@code x > 0 ? x : slope * x}. */
    Tensor leakyRelu(Tensor x, float slope);

    /** Backward of {@link #leakyRelu} from its input x (PyTorch: x > 0 ? gradOut : slope * gradOut). */
    Tensor leakyReluBackward(Tensor gradOut, Tensor x, float slope);

    /** {@code tanh(x)}. */
    Tensor tanh(Tensor x);

    /** Backward of {@link #tanh} from its output y: {@code gradOut * (1 - y^2)}. */
    Tensor tanhBackward(Tensor gradOut, Tensor y);

    /** {@code 1 / (1 + exp(-x))}. */
    Tensor sigmoid(Tensor x);

    /** Backward of {@link #sigmoid} from its output y: {@code gradOut * y * (1 - y)}. */
    Tensor sigmoidBackward(Tensor gradOut, Tensor y);

    // ---- linear ---------------------------------------------------------------------------

    /** {@code y = x @ weight^T + bias}: x {@code [N, in]}, weight {@code [out, in]}, bias {@code [out]} or null. */
    Tensor linear(Tensor x, Tensor weight, Tensor bias);

    /** Gradients of {@link #linear} for x, weight and (when {@code withBias}) bias. */
    LayerGrads linearBackward(Tensor gradOut, Tensor x, Tensor weight, boolean withBias);

    // ---- training -------------------------------------------------------------------------

    /**
     * Mean-squared error between {@code pred} and {@code target} (same shape): the value
     * {@code sum((pred - target)^2)} (or its mean over all elements when {@code mean}) as F32
     * {@code [1]}, and its gradient for pred, {@code 2 (pred - target)} (divided by the element count
     * when {@code mean}) times {@code gradScale}. One deterministic pass.
     */
    LossAndGrad mseLoss(Tensor pred, Tensor target, boolean mean, float gradScale);

    /** {@code alpha * a + beta * b} as a new tensor (same shapes), e.g. to sum two gradient paths. */
    Tensor axpby(float alpha, Tensor a, float beta, Tensor b);

    /**
     * One Adam / AdamW step, in place on {@code param}, {@code m} and {@code v} (all of grad's
     * shape), with PyTorch's arithmetic; {@code step} is the 1-based step count (bias correction).
     * Bitwise the same on every backend (explicit fused multiply-adds on both).
     */
    void adamStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamConfig config, long step);

    /** Frees this backend's own resources (not the tensors it returned). Idempotent. */
    @Override
    void close();
}
