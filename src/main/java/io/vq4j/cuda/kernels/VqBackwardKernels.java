package io.vq4j.cuda.kernels;

import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.KernelLaunch;

/**
 * Launchers for cuda/vq_backward.cu: per-code counts (+ max|z|), the fixed-point scale, the
 * segment sums (+ gradZ) and gradCodebook. One parameter record and one thin launcher per kernel;
 * each launcher picks the kernel variant and grid, and queues it on the process's stream.
 * Nothing here allocates or synchronizes except {@link #firstBadIndex}.
 *
 * <p>Pipelines: fast = count, segmentSum(f32), finish; deterministic = count (with z),
 * fixedScale, segmentSum(fixed point), finish. Every pipeline shares one {@link #SCRATCH_BYTES}
 * scratch buffer and one accumulator of K*D words ({@link #accumulatorBytes}), both zeroed by the
 * caller before the first launch.
 */
public final class VqBackwardKernels {
    private VqBackwardKernels() {}

    /** Size of the scratch block (struct VqSegsumScratch in cuda/vq_segsum.cuh). */
    public static final long SCRATCH_BYTES = 32;

    private static final int COUNT_BLOCK = 512, SEGSUM_PRIVATE_BLOCK = 1024, BLOCK = 256, SCALE_BLOCK = 1024;

    /** Bytes of the [K, D] accumulator: float for the fast sums, 64-bit integers for fixed point. */
    public static long accumulatorBytes(int k, int d, boolean fixedPoint) {
        return (long) k * d * (fixedPoint ? 8 : 4);
    }

    // ---- counts ---------------------------------------------------------------------------

    /**
     * counts (I32 [k], zeroed) += histogram of indices (I32, n of them); with {@code z} non-null
     * also max|z| over its {@code zElems} floats into the scratch block. Bad indices are counted
     * nowhere and the first one's position is recorded in scratch.
     */
    public record CountParams(DeviceBuffer indices, long n, int k, DeviceBuffer counts, DeviceBuffer z, long zElems,
                              DeviceBuffer scratch) {}

    public static void count(CountParams p) {
        Cuda.Runtime rt = Cuda.runtime();
        CodebookDeviceLimits lim = CodebookDeviceLimits.get();
        long work = Math.max(p.n(), p.z() == null ? 0 : p.zElems() / 4);
        // Private (shared-memory) counts when they fit and the flush, K atomics per block, costs
        // at most half of the n atomics it replaces.
        long countBytes = 4L * p.k();
        int perSm = lim.blocksPerMultiprocessor(countBytes, 4);
        long privateGrid = CodebookDeviceLimits.grid(work, COUNT_BLOCK, (long) lim.multiprocessors * Math.max(perSm, 1));
        boolean priv = perSm > 0 && 2 * privateGrid * p.k() <= p.n();
        if (priv && countBytes > CodebookDeviceLimits.DEFAULT_DYNAMIC_SHARED) {
            CodebookDeviceLimits.allowLargeDynamicShared("vq_backward_count");
        }
        long grid = priv ? privateGrid : CodebookDeviceLimits.grid(work, COUNT_BLOCK, lim.multiprocessors * 16L);
        KernelLaunch.of(rt.kernels(), "vq_backward_count", rt.stream())
                .grid(grid).block(COUNT_BLOCK).sharedBytes(priv ? (int) countBytes : 0)
                .arg(p.indices()).arg(p.n()).arg(p.k()).arg(p.counts()).arg(priv ? 1 : 0)
                .argOrNull(p.z()).arg(p.z() == null ? 0L : p.zElems()).arg(p.scratch())
                .launch();
    }

    // ---- the fixed-point scale ------------------------------------------------------------

    /** Picks 2^s from max|z| and the largest of the k counts (after {@link #count} with z). */
    public record FixedScaleParams(DeviceBuffer counts, int k, DeviceBuffer scratch) {}

    public static void fixedScale(FixedScaleParams p) {
        Cuda.Runtime rt = Cuda.runtime();
        KernelLaunch.of(rt.kernels(), "vq_backward_fixed_scale", rt.stream())
                .grid(1).block(SCALE_BLOCK)
                .arg(p.counts()).arg(p.k()).arg(p.scratch())
                .launch();
    }

    // ---- segment sums (+ gradZ) -----------------------------------------------------------

    /**
     * acc[k][c] += z(n, c) over the vectors n of code k (z in the layout batch x d x spatial,
     * rows being spatial = 1), as floats or, with {@code fixedPoint}, as 64-bit fixed point with
     * the scale of {@link #fixedScale}. With {@code gradZ} non-null (then gradOut and codebook
     * too) also gradZ = gradOut + coefZ * (z - codebook[idx]).
     */
    public record SegmentSumParams(DeviceBuffer z, DeviceBuffer indices, int batch, int spatial, int d, int k,
                                   DeviceBuffer acc, boolean fixedPoint, DeviceBuffer codebook, DeviceBuffer gradOut,
                                   DeviceBuffer gradZ, double coefZ, DeviceBuffer scratch) {}

    public static void segmentSum(SegmentSumParams p) {
        Cuda.Runtime rt = Cuda.runtime();
        CodebookDeviceLimits lim = CodebookDeviceLimits.get();
        long total = (long) p.batch() * p.spatial() * p.d();
        long accBytes = accumulatorBytes(p.k(), p.d(), p.fixedPoint());
        // A block-private accumulator when it fits in shared memory and flushing it (K*D atomics
        // per block) costs at most half of the N*D atomics it takes off global memory.
        int perSm = lim.blocksPerMultiprocessor(accBytes, 2048 / SEGSUM_PRIVATE_BLOCK);
        long privateGrid = CodebookDeviceLimits.grid(total, SEGSUM_PRIVATE_BLOCK, (long) lim.multiprocessors * Math.max(perSm, 1));
        boolean priv = perSm > 0 && 2 * privateGrid * p.k() * p.d() <= total;
        String kernel = "vq_backward_segsum_" + (p.fixedPoint() ? "fixed" : "f32") + (priv ? "_shared" : "_global");
        if (priv && accBytes > CodebookDeviceLimits.DEFAULT_DYNAMIC_SHARED) CodebookDeviceLimits.allowLargeDynamicShared(kernel);
        KernelLaunch.of(rt.kernels(), kernel, rt.stream())
                .grid(priv ? privateGrid : CodebookDeviceLimits.grid(total, BLOCK, lim.multiprocessors * 32L))
                .block(priv ? SEGSUM_PRIVATE_BLOCK : BLOCK)
                .sharedBytes(priv ? (int) accBytes : 0)
                .arg(p.z()).arg(p.indices()).arg(p.spatial()).arg(p.d()).arg(p.k()).arg(total).arg(p.acc())
                .argOrNull(p.codebook()).argOrNull(p.gradOut()).argOrNull(p.gradZ()).arg(p.coefZ()).arg(p.scratch())
                .launch();
    }

    // ---- gradCodebook ---------------------------------------------------------------------

    /** gradCodebook = scale * (counts[k] * codebook[k][c] - acc[k][c]). */
    public record FinishParams(DeviceBuffer gradCodebook, DeviceBuffer codebook, DeviceBuffer counts, DeviceBuffer acc,
                               boolean fixedPoint, DeviceBuffer scratch, int k, int d, double scale) {}

    public static void finish(FinishParams p) {
        Cuda.Runtime rt = Cuda.runtime();
        long kd = (long) p.k() * p.d();
        KernelLaunch.of(rt.kernels(), "vq_backward_finish", rt.stream())
                .grid(CodebookDeviceLimits.grid(kd, BLOCK, CodebookDeviceLimits.get().multiprocessors * 8L)).block(BLOCK)
                .arg(p.gradCodebook()).arg(p.codebook()).arg(p.counts())
                .argOrNull(p.fixedPoint() ? null : p.acc()).argOrNull(p.fixedPoint() ? p.acc() : null)
                .arg(p.scratch()).arg(p.k()).arg(p.d()).arg(p.scale())
                .launch();
    }

    // ---- status ---------------------------------------------------------------------------

    /**
     * The position of the first index outside [0, K) that {@link #count} saw, or -1 (reads 8
     * bytes back: waits for the stream).
     */
    public static long firstBadIndex(DeviceBuffer scratch) {
        long bad = CodebookReadback.readLongs(scratch, 0, 1)[0];
        return bad == 0 ? -1 : ~bad;
    }
}
