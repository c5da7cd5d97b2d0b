package io.vq4j.cuda.kernels;

import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.KernelLaunch;

/**
 * Launchers for cuda/gaussian_kl.cu: the KL divergence to N(0, I) as a two-pass deterministic
 * reduction ({@link KlPlan} fixes the chunking from the shape alone), and its elementwise backward.
 * Parameter records hold device buffers of F32 elements, except {@code partial} (F64).
 */
public final class GaussianKlKernels {
    private GaussianKlKernels() {}

    static final int THREADS = 256;
    static final int WARPS_PER_BLOCK = THREADS / 32;
    static final int BLOCKS_PER_SM = 16;
    /** gaussian_kl_finish_f32's block (GAUSSIAN_KL_FINISH_THREADS): part of its fixed summation order. */
    static final int FINISH_THREADS = 256;
    /** The fewest elements one warp sums: below this a warp's loads cannot hide their latency. */
    static final long MIN_CHUNK = 1024;
    /** About this many chunks for large inputs: ~2 warps per warp slot of an H100 (132 SMs x 64). */
    static final long TARGET_CHUNKS = 16384;

    /**
     * How {@code segments} contiguous segments of {@code segLen} elements are cut into chunks of
     * {@code chunkLen} (a multiple of 128, so float4 groups stay whole), {@code chunksPerSegment}
     * per segment. Depends only on the sizes, so the summation order is fixed.
     */
    public record KlPlan(long segments, long segLen, long chunkLen, long chunksPerSegment) {
        /** The plan for {@code n > 0} elements in {@code segments > 0} equal segments. */
        public static KlPlan of(long n, long segments) {
            if (n <= 0 || segments <= 0 || n % segments != 0) {
                throw new IllegalArgumentException("KlPlan needs n > 0 split into segments > 0 equal parts, got n = "
                        + n + ", segments = " + segments);
            }
            long segLen = n / segments;
            long chunkLen = Math.max(MIN_CHUNK, roundUp(ceilDiv(n, TARGET_CHUNKS), 128));
            return new KlPlan(segments, segLen, chunkLen, ceilDiv(segLen, chunkLen));
        }

        public long chunks() { return segments * chunksPerSegment; }

        /**
         * Whether a second pass is needed: when every segment is one chunk, pass one writes the
         * results directly. Otherwise chunks() doubles of scratch; at most ~2 * TARGET_CHUNKS, since
         * a segment split in several chunks has segLen &gt; chunkLen &gt;= n / TARGET_CHUNKS.
         */
        public boolean needsPartials() { return chunksPerSegment > 1; }

        public long partialBytes() { return needsPartials() ? chunks() * Double.BYTES : 0; }
    }

    /**
     * {@code gaussian_kl_partial_f32}: per chunk c, {@code sum t} with t = mu^2 + expm1(logvar) - logvar,
     * into {@code partial[c]} (F64) when {@code partial} is non-null, else {@code out[c] = outScale * sum}
     * (only when the plan needs no partials).
     */
    public record KlPartialParams(DeviceBuffer partial, DeviceBuffer out, DeviceBuffer mu, DeviceBuffer logvar,
                                  KlPlan plan, double outScale) {}

    /** {@code gaussian_kl_finish_f32}: {@code out[s] = outScale * sum of segment s's partials}. */
    public record KlFinishParams(DeviceBuffer out, DeviceBuffer partial, KlPlan plan, double outScale) {}

    /** {@code gaussian_kl_backward_f32}: {@code dMu = weight * mu}, {@code dLogvar = weight/2 * expm1(logvar)}. */
    public record KlBackwardParams(DeviceBuffer dMu, DeviceBuffer dLogvar, DeviceBuffer mu, DeviceBuffer logvar,
                                   long n, float weight) {}

    public static void partial(Cuda.Runtime rt, KlPartialParams p) {
        KlPlan plan = p.plan();
        if ((p.partial() == null) == plan.needsPartials()) {
            throw new IllegalArgumentException("partial buffer " + (p.partial() == null ? "missing" : "given")
                    + " but the plan " + plan + (plan.needsPartials() ? " needs" : " needs no") + " partials");
        }
        KernelLaunch.of(rt.kernels(), "gaussian_kl_partial_f32", rt.stream())
                .grid(warpGrid(rt, plan.chunks())).block(THREADS)
                .argOrNull(p.partial()).argOrNull(p.out()).arg(p.mu()).arg(p.logvar())
                .arg(plan.segLen()).arg(plan.chunkLen()).arg(plan.chunksPerSegment()).arg(plan.chunks())
                .arg(p.outScale())
                .launch();
    }

    public static void finish(Cuda.Runtime rt, KlFinishParams p) {
        KlPlan plan = p.plan();
        // one block of FINISH_THREADS per segment; the kernel's summation order depends on that size
        long blocks = Math.max(1, Math.min(plan.segments(), (long) rt.context().multiprocessorCount() * BLOCKS_PER_SM));
        KernelLaunch.of(rt.kernels(), "gaussian_kl_finish_f32", rt.stream())
                .grid(blocks).block(FINISH_THREADS)
                .arg(p.out()).arg(p.partial()).arg(plan.chunksPerSegment()).arg(plan.segments()).arg(p.outScale())
                .launch();
    }

    public static void backward(Cuda.Runtime rt, KlBackwardParams p) {
        if (p.n() == 0) return;
        KernelLaunch.of(rt.kernels(), "gaussian_kl_backward_f32", rt.stream())
                .grid(GaussianKernels.groupGrid(rt, p.n())).block(GaussianKernels.THREADS)
                .arg(p.dMu()).arg(p.dLogvar()).arg(p.mu()).arg(p.logvar()).arg(p.n()).arg(p.weight())
                .launch();
    }

    /** Blocks for one warp per item, capped at a few waves (the kernels grid-stride over items). */
    private static long warpGrid(Cuda.Runtime rt, long items) {
        long blocks = ceilDiv(items, WARPS_PER_BLOCK);
        long cap = (long) rt.context().multiprocessorCount() * BLOCKS_PER_SM;
        return Math.max(1, Math.min(blocks, cap));
    }

    static long ceilDiv(long a, long b) { return (a + b - 1) / b; }

    static long roundUp(long a, long m) { return ceilDiv(a, m) * m; }
}
