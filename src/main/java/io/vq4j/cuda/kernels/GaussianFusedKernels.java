package io.vq4j.cuda.kernels;

import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.KernelLaunch;
import io.vq4j.cuda.kernels.GaussianKlKernels.KlPlan;

/**
 * Launchers for cuda/gaussian_fused.cu: the VAE latent step (reparameterize + KL forward in one
 * pass, their backwards summed in one pass). The forward uses {@link KlPlan}'s chunking, and its
 * second pass, when the plan needs one, is {@link GaussianKlKernels#finish}. Buffers hold F32
 * elements except {@code partial} (F64); (seed, offset) name the Philox draw.
 */
public final class GaussianFusedKernels {
    private GaussianFusedKernels() {}

    /**
     * {@code gaussian_fused_forward_f32}: {@code z = mu + exp(logvar/2) * eps} over all
     * {@code plan.segments() * plan.segLen()} elements, and per chunk c the KL sum into
     * {@code partial[c]} (F64) when non-null, else {@code out[c] = outScale * sum}.
     */
    public record FusedForwardParams(DeviceBuffer z, DeviceBuffer partial, DeviceBuffer out, DeviceBuffer mu,
                                     DeviceBuffer logvar, KlPlan plan, double outScale, long seed, long offset) {}

    /**
     * {@code gaussian_fused_backward_f32}: {@code dMu = gradZ + weight * mu},
     * {@code dLogvar = gradZ * eps * exp(logvar/2) / 2 + weight/2 * expm1(logvar)}, eps regenerated.
     */
    public record FusedBackwardParams(DeviceBuffer dMu, DeviceBuffer dLogvar, DeviceBuffer gradZ, DeviceBuffer mu,
                                      DeviceBuffer logvar, long n, float weight, long seed, long offset) {}

    public static void forward(Cuda.Runtime rt, FusedForwardParams p) {
        KlPlan plan = p.plan();
        if ((p.partial() == null) == plan.needsPartials()) {
            throw new IllegalArgumentException("partial buffer " + (p.partial() == null ? "missing" : "given")
                    + " but the plan " + plan + (plan.needsPartials() ? " needs" : " needs no") + " partials");
        }
        // One warp per chunk, capped at a few waves (the kernel grid-strides over chunks).
        long blocks = GaussianKlKernels.ceilDiv(plan.chunks(), GaussianKlKernels.WARPS_PER_BLOCK);
        long cap = (long) rt.context().multiprocessorCount() * GaussianKlKernels.BLOCKS_PER_SM;
        KernelLaunch.of(rt.kernels(), "gaussian_fused_forward_f32", rt.stream())
                .grid(Math.max(1, Math.min(blocks, cap))).block(GaussianKlKernels.THREADS)
                .arg(p.z()).argOrNull(p.partial()).argOrNull(p.out()).arg(p.mu()).arg(p.logvar())
                .arg(plan.segLen()).arg(plan.chunkLen()).arg(plan.chunksPerSegment()).arg(plan.chunks())
                .arg(p.outScale()).arg(p.seed()).arg(p.offset())
                .launch();
    }

    public static void backward(Cuda.Runtime rt, FusedBackwardParams p) {
        if (p.n() == 0) return;
        KernelLaunch.of(rt.kernels(), "gaussian_fused_backward_f32", rt.stream())
                .grid(GaussianKernels.groupGrid(rt, p.n())).block(GaussianKernels.THREADS)
                .arg(p.dMu()).arg(p.dLogvar()).arg(p.gradZ()).arg(p.mu()).arg(p.logvar())
                .arg(p.n()).arg(p.weight()).arg(p.seed()).arg(p.offset())
                .launch();
    }
}
