package io.vq4j.cuda.kernels;

import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.KernelLaunch;

/**
 * Launchers for cuda/vq_codebook.cu: codebook statistics, the EMA update's accumulate / total /
 * normalize steps (after {@link VqBackwardKernels}' counts and fixed-point segment sums), and
 * dead-code revival's select / apply steps. One parameter record and one thin launcher per
 * kernel; only the {@code read...} helpers synchronize.
 */
public final class CodebookKernels {
    private CodebookKernels() {}

    /** The reduction kernels are one block of this many threads (a power of two: see the kernels). */
    private static final int REDUCE_BLOCK = 1024;
    private static final int BLOCK = 256;

    /** Doubles the stats kernel writes: perplexity, active, dead, total. */
    public static final int STATS_DOUBLES = 4;

    // ---- statistics -----------------------------------------------------------------------

    /** Stats of counts (I32 or, with {@code floatCounts}, F32 [k]) into {@code out} (4 doubles). */
    public record StatsParams(DeviceBuffer counts, boolean floatCounts, int k, double deadThreshold, DeviceBuffer out) {}

    public static void stats(StatsParams p) {
        Cuda.Runtime rt = Cuda.runtime();
        KernelLaunch.of(rt.kernels(), "vq_codebook_stats", rt.stream())
                .grid(1).block(REDUCE_BLOCK)
                .argOrNull(p.floatCounts() ? null : p.counts()).argOrNull(p.floatCounts() ? p.counts() : null)
                .arg(p.k()).arg(p.deadThreshold()).arg(p.out())
                .launch();
    }

    /** The 4 doubles of {@link #stats} (waits for the stream). */
    public static double[] readStats(DeviceBuffer out) {
        return CodebookReadback.readDoubles(out, 0, STATS_DOUBLES);
    }

    // ---- EMA ------------------------------------------------------------------------------

    /**
     * clusterSize = decay * clusterSize + keep * counts; embedSum = decay * embedSum + keep * S,
     * S the fixed-point sums in {@code acc} (keep = 1 - decay, passed so both backends use the
     * same double). A no-op when the scratch block records a bad index.
     */
    public record EmaAccumulateParams(DeviceBuffer clusterSize, DeviceBuffer embedSum, DeviceBuffer counts,
                                      DeviceBuffer acc, DeviceBuffer scratch, int k, int d, double decay, double keep) {}

    public static void emaAccumulate(EmaAccumulateParams p) {
        Cuda.Runtime rt = Cuda.runtime();
        long kd = (long) p.k() * p.d();
        KernelLaunch.of(rt.kernels(), "vq_codebook_ema_accumulate", rt.stream())
                .grid(CodebookDeviceLimits.grid(kd, BLOCK, CodebookDeviceLimits.get().multiprocessors * 8L)).block(BLOCK)
                .arg(p.clusterSize()).arg(p.embedSum()).arg(p.counts()).arg(p.acc()).arg(p.scratch())
                .arg(p.k()).arg(p.d()).arg(p.decay()).arg(p.keep())
                .launch();
    }

    /** total (one double) = sum of the k cluster sizes, in a fixed order. */
    public record EmaTotalParams(DeviceBuffer clusterSize, int k, DeviceBuffer total) {}

    public static void emaTotal(EmaTotalParams p) {
        Cuda.Runtime rt = Cuda.runtime();
        KernelLaunch.of(rt.kernels(), "vq_codebook_ema_total", rt.stream())
                .grid(1).block(REDUCE_BLOCK)
                .arg(p.clusterSize()).arg(p.k()).arg(p.total())
                .launch();
    }

    /** codebook = embedSum / N', N' the Laplace-smoothed cluster sizes. A no-op on a bad index. */
    public record EmaNormalizeParams(DeviceBuffer codebook, DeviceBuffer clusterSize, DeviceBuffer embedSum,
                                     DeviceBuffer total, DeviceBuffer scratch, int k, int d, double epsilon) {}

    public static void emaNormalize(EmaNormalizeParams p) {
        Cuda.Runtime rt = Cuda.runtime();
        long kd = (long) p.k() * p.d();
        KernelLaunch.of(rt.kernels(), "vq_codebook_ema_normalize", rt.stream())
                .grid(CodebookDeviceLimits.grid(kd, BLOCK, CodebookDeviceLimits.get().multiprocessors * 8L)).block(BLOCK)
                .arg(p.codebook()).arg(p.clusterSize()).arg(p.embedSum()).arg(p.total()).arg(p.scratch())
                .arg(p.k()).arg(p.d()).arg(p.epsilon())
                .launch();
    }

    // ---- revival --------------------------------------------------------------------------

    /** Ints of the revival work buffer: the count, then one row (or -1) per code. */
    public static long reviveWorkBytes(int k) { return 4L * (k + 1); }

    /**
     * work[0] += number of codes with usage (I32, or F32 with {@code floatUsage}) below
     * threshold; work[1 + k] = their batch row (Philox, as {@code Philox.reviveRow}) or -1.
     * work[0] must be zeroed.
     */
    public record ReviveSelectParams(DeviceBuffer usage, boolean floatUsage, int k, double threshold, long seed, long n,
                                     DeviceBuffer work) {}

    public static void reviveSelect(ReviveSelectParams p) {
        Cuda.Runtime rt = Cuda.runtime();
        KernelLaunch.of(rt.kernels(), "vq_codebook_revive_select", rt.stream())
                .grid(CodebookDeviceLimits.grid(p.k(), BLOCK, CodebookDeviceLimits.get().multiprocessors * 8L)).block(BLOCK)
                .argOrNull(p.floatUsage() ? null : p.usage()).argOrNull(p.floatUsage() ? p.usage() : null)
                .arg(p.k()).arg(p.threshold()).arg(p.seed()).arg(p.n()).arg(p.work())
                .launch();
    }

    /** Copies the selected rows of z (layout x d x spatial) into the codebook (and EMA state, when given). */
    public record ReviveApplyParams(DeviceBuffer codebook, DeviceBuffer clusterSize, DeviceBuffer embedSum,
                                    DeviceBuffer work, DeviceBuffer z, int spatial, int d, int k) {}

    public static void reviveApply(ReviveApplyParams p) {
        Cuda.Runtime rt = Cuda.runtime();
        long kd = (long) p.k() * p.d();
        KernelLaunch.of(rt.kernels(), "vq_codebook_revive_apply", rt.stream())
                .grid(CodebookDeviceLimits.grid(kd, BLOCK, CodebookDeviceLimits.get().multiprocessors * 8L)).block(BLOCK)
                .arg(p.codebook()).argOrNull(p.clusterSize()).argOrNull(p.embedSum()).arg(p.work()).arg(p.z())
                .arg(p.spatial()).arg(p.d()).arg(p.k())
                .launch();
    }

    /** work[0], the number of codes revived (waits for the stream). */
    public static int readRevived(DeviceBuffer work) {
        int[] n = new int[1];
        work.copyTo(n, 0, 0, 1);
        return n[0];
    }
}
