package io.vq4j.ops;

import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.kernels.GaussianFusedKernels;
import io.vq4j.cuda.kernels.GaussianKernels;
import io.vq4j.cuda.kernels.GaussianKlKernels;
import io.vq4j.cuda.kernels.GaussianKlKernels.KlPlan;

/**
 * The Gaussian-latent ops on the GPU (cuda/gaussian_reparam.cu, cuda/gaussian_kl.cu): allocates
 * the outputs, launches, and hands them over. Arguments are already checked ({@link CheckedOps}).
 * Nothing is read back to the host: every result stays a device tensor. On any failure the
 * tensors and scratch made here are closed before the exception leaves.
 */
final class CudaGaussian {
    private CudaGaussian() {}

    static Tensor standardNormal(CudaOps ops, long seed, long offset, int[] shape) {
        Tensor out = ops.empty(DType.F32, shape);
        try {
            GaussianKernels.normal(ops.runtime(), new GaussianKernels.NormalParams(
                    out.deviceBuffer(), out.numel(), seed, offset));
            return out;
        } catch (Throwable t) {
            throw closeAll(t, out);
        }
    }

    static Reparameterized reparameterize(CudaOps ops, Tensor mu, Tensor logvar, long seed, long offset, boolean storeEps) {
        Tensor z = null, eps = null;
        try {
            z = ops.empty(DType.F32, mu.shape());
            eps = storeEps ? ops.empty(DType.F32, mu.shape()) : null;
            GaussianKernels.reparamForward(ops.runtime(), new GaussianKernels.ReparamForwardParams(
                    z.deviceBuffer(), eps == null ? null : eps.deviceBuffer(), mu.deviceBuffer(), logvar.deviceBuffer(),
                    mu.numel(), seed, offset));
            return new Reparameterized(z, eps);
        } catch (Throwable t) {
            throw closeAll(t, z, eps);
        }
    }

    static GaussianGrads reparameterizeBackward(CudaOps ops, Tensor gradZ, Tensor logvar, long seed, long offset) {
        return reparamBackward(ops, gradZ, logvar, null, seed, offset);
    }

    static GaussianGrads reparameterizeBackward(CudaOps ops, Tensor gradZ, Tensor logvar, Tensor eps) {
        return reparamBackward(ops, gradZ, logvar, eps, 0, 0);
    }

    /** Both backward overloads: one kernel, which regenerates eps when {@code eps} is null. */
    private static GaussianGrads reparamBackward(CudaOps ops, Tensor gradZ, Tensor logvar, Tensor eps,
                                                 long seed, long offset) {
        Tensor dMu = null, dLogvar = null;
        try {
            dMu = ops.empty(DType.F32, gradZ.shape());
            dLogvar = ops.empty(DType.F32, gradZ.shape());
            GaussianKernels.reparamBackward(ops.runtime(), new GaussianKernels.ReparamBackwardParams(
                    dMu.deviceBuffer(), dLogvar.deviceBuffer(), gradZ.deviceBuffer(), logvar.deviceBuffer(),
                    eps == null ? null : eps.deviceBuffer(), gradZ.numel(), seed, offset));
            return new GaussianGrads(dMu, dLogvar);
        } catch (Throwable t) {
            throw closeAll(t, dMu, dLogvar);
        }
    }

    static Tensor klDivergence(CudaOps ops, Tensor mu, Tensor logvar, KlReduction reduction) {
        int b = mu.dim(0);
        long n = mu.numel();
        boolean perSample = reduction == KlReduction.PER_SAMPLE;
        long segments = perSample ? b : 1;
        double outScale = CpuGaussian.klScale(reduction, b);
        Tensor out = ops.empty(DType.F32, perSample ? new int[] {b} : new int[] {1});
        try {
            if (n == 0) {
                // Empty sums are 0 (MEAN over B = 0 samples is 0/0 = NaN, as on the CPU); no kernel to run.
                if (out.numel() > 0) out.deviceBuffer().fill32(Float.floatToRawIntBits((float) (0.0 * outScale)));
                return out;
            }
            Cuda.Runtime rt = ops.runtime();
            KlPlan plan = KlPlan.of(n, segments);
            if (!plan.needsPartials()) {
                GaussianKlKernels.partial(rt, new GaussianKlKernels.KlPartialParams(
                        null, out.deviceBuffer(), mu.deviceBuffer(), logvar.deviceBuffer(), plan, outScale));
                return out;
            }
            // Closing the scratch queues a stream-ordered free, after the two kernels that use it.
            try (DeviceBuffer partial = new DeviceBuffer(rt.stream(), plan.partialBytes())) {
                GaussianKlKernels.partial(rt, new GaussianKlKernels.KlPartialParams(
                        partial, null, mu.deviceBuffer(), logvar.deviceBuffer(), plan, outScale));
                GaussianKlKernels.finish(rt, new GaussianKlKernels.KlFinishParams(
                        out.deviceBuffer(), partial, plan, outScale));
            }
            return out;
        } catch (Throwable t) {
            throw closeAll(t, out);
        }
    }

    static GaussianGrads klBackward(CudaOps ops, Tensor mu, Tensor logvar, float weight) {
        Tensor dMu = null, dLogvar = null;
        try {
            dMu = ops.empty(DType.F32, mu.shape());
            dLogvar = ops.empty(DType.F32, mu.shape());
            GaussianKlKernels.backward(ops.runtime(), new GaussianKlKernels.KlBackwardParams(
                    dMu.deviceBuffer(), dLogvar.deviceBuffer(), mu.deviceBuffer(), logvar.deviceBuffer(), mu.numel(), weight));
            return new GaussianGrads(dMu, dLogvar);
        } catch (Throwable t) {
            throw closeAll(t, dMu, dLogvar);
        }
    }

    /** z and the KL in one pass (gaussian_fused_forward_f32), then the KL finish pass when the plan needs one. */
    static GaussianLatentStep gaussianLatentForward(CudaOps ops, Tensor mu, Tensor logvar, long seed, long offset,
                                                    KlReduction reduction) {
        int b = mu.dim(0);
        long n = mu.numel();
        boolean perSample = reduction == KlReduction.PER_SAMPLE;
        long segments = perSample ? b : 1;
        double outScale = CpuGaussian.klScale(reduction, b);
        Tensor z = null, kl = null;
        try {
            z = ops.empty(DType.F32, mu.shape());
            kl = ops.empty(DType.F32, perSample ? new int[] {b} : new int[] {1});
            if (n == 0) {
                // As klDivergence: empty sums are 0 (MEAN over B = 0 is NaN); z is empty.
                if (kl.numel() > 0) kl.deviceBuffer().fill32(Float.floatToRawIntBits((float) (0.0 * outScale)));
                return new GaussianLatentStep(z, kl);
            }
            Cuda.Runtime rt = ops.runtime();
            KlPlan plan = KlPlan.of(n, segments);
            if (!plan.needsPartials()) {
                GaussianFusedKernels.forward(rt, new GaussianFusedKernels.FusedForwardParams(
                        z.deviceBuffer(), null, kl.deviceBuffer(), mu.deviceBuffer(), logvar.deviceBuffer(),
                        plan, outScale, seed, offset));
                return new GaussianLatentStep(z, kl);
            }
            // Closing the scratch queues a stream-ordered free, after the two kernels that use it.
            try (DeviceBuffer partial = new DeviceBuffer(rt.stream(), plan.partialBytes())) {
                GaussianFusedKernels.forward(rt, new GaussianFusedKernels.FusedForwardParams(
                        z.deviceBuffer(), partial, null, mu.deviceBuffer(), logvar.deviceBuffer(),
                        plan, outScale, seed, offset));
                GaussianKlKernels.finish(rt, new GaussianKlKernels.KlFinishParams(
                        kl.deviceBuffer(), partial, plan, outScale));
            }
            return new GaussianLatentStep(z, kl);
        } catch (Throwable t) {
            throw closeAll(t, z, kl);
        }
    }

    static GaussianGrads gaussianLatentBackward(CudaOps ops, Tensor gradZ, Tensor mu, Tensor logvar, long seed,
                                                long offset, float klWeight) {
        Tensor dMu = null, dLogvar = null;
        try {
            dMu = ops.empty(DType.F32, mu.shape());
            dLogvar = ops.empty(DType.F32, mu.shape());
            GaussianFusedKernels.backward(ops.runtime(), new GaussianFusedKernels.FusedBackwardParams(
                    dMu.deviceBuffer(), dLogvar.deviceBuffer(), gradZ.deviceBuffer(), mu.deviceBuffer(),
                    logvar.deviceBuffer(), mu.numel(), klWeight, seed, offset));
            return new GaussianGrads(dMu, dLogvar);
        } catch (Throwable t) {
            throw closeAll(t, dMu, dLogvar);
        }
    }

    /** Closes what was made (nulls skipped), keeping close failures as suppressed; returns {@code t} to rethrow. */
    private static RuntimeException closeAll(Throwable t, AutoCloseable... made) {
        for (AutoCloseable m : made) {
            if (m == null) continue;
            try {
                m.close();
            } catch (Throwable c) {
                t.addSuppressed(c);
            }
        }
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
