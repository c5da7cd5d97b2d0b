package io.vq4j.cuda.kernels;

import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.KernelLaunch;

/**
 * Launchers for cuda/gaussian_reparam.cu: a plain parameter record per kernel and a thin static
 * launcher that only computes the grid and passes the arguments in the kernel's order. Every
 * buffer holds F32 elements; n is the element count (64-bit); (seed, offset) name the Philox
 * draw (see {@link io.vq4j.ops.cpu.Philox}). Launches are queued on the runtime's stream.
 */
public final class GaussianKernels {
    private GaussianKernels() {}

    /** Threads per block: 8 warps, one Philox block of 4 elements per thread. */
    static final int THREADS = 256;
    /** Blocks per SM before the grid-stride loop takes over (2 waves at full occupancy). */
    static final int BLOCKS_PER_SM = 16;

    /** {@code gaussian_normal_f32}: {@code out[i]} = normal i of the draw (seed, offset), i &lt; n. */
    public record NormalParams(DeviceBuffer out, long n, long seed, long offset) {}

    /** {@code gaussian_reparam_forward_f32}: {@code z = mu + exp(logvar/2) * eps}; eps written when {@code eps} is non-null. */
    public record ReparamForwardParams(DeviceBuffer z, DeviceBuffer eps, DeviceBuffer mu, DeviceBuffer logvar,
                                       long n, long seed, long offset) {}

    /**
     * {@code gaussian_reparam_backward_f32}: {@code dMu = gradZ}, {@code dLogvar = gradZ * eps * exp(logvar/2) / 2};
     * eps is read from {@code eps} when non-null, else regenerated from (seed, offset).
     */
    public record ReparamBackwardParams(DeviceBuffer dMu, DeviceBuffer dLogvar, DeviceBuffer gradZ,
                                        DeviceBuffer logvar, DeviceBuffer eps, long n, long seed, long offset) {}

    public static void normal(Cuda.Runtime rt, NormalParams p) {
        if (p.n() == 0) return;
        KernelLaunch.of(rt.kernels(), "gaussian_normal_f32", rt.stream())
                .grid(groupGrid(rt, p.n())).block(THREADS)
                .arg(p.out()).arg(p.n()).arg(p.seed()).arg(p.offset())
                .launch();
    }

    public static void reparamForward(Cuda.Runtime rt, ReparamForwardParams p) {
        if (p.n() == 0) return;
        KernelLaunch.of(rt.kernels(), "gaussian_reparam_forward_f32", rt.stream())
                .grid(groupGrid(rt, p.n())).block(THREADS)
                .arg(p.z()).argOrNull(p.eps()).arg(p.mu()).arg(p.logvar())
                .arg(p.n()).arg(p.seed()).arg(p.offset())
                .launch();
    }

    public static void reparamBackward(Cuda.Runtime rt, ReparamBackwardParams p) {
        if (p.n() == 0) return;
        KernelLaunch.of(rt.kernels(), "gaussian_reparam_backward_f32", rt.stream())
                .grid(groupGrid(rt, p.n())).block(THREADS)
                .arg(p.dMu()).arg(p.dLogvar()).arg(p.gradZ()).arg(p.logvar()).argOrNull(p.eps())
                .arg(p.n()).arg(p.seed()).arg(p.offset())
                .launch();
    }

    /**
     * Blocks for one thread per group of 4 elements, capped at a few waves: past that the
     * kernels' 64-bit grid-stride loops cover the rest, so any n fits in grid.x.
     */
    static long groupGrid(Cuda.Runtime rt, long n) {
        long groups = (n + 3) / 4;
        long blocks = (groups + THREADS - 1) / THREADS;
        long cap = (long) rt.context().multiprocessorCount() * BLOCKS_PER_SM;
        return Math.max(1, Math.min(blocks, cap));
    }
}
