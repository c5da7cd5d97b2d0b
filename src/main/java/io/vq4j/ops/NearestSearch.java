package io.vq4j.ops;

import java.util.Locale;

/**
 * Which CUDA nearest-code search {@link CudaOps} runs (nearestCode, nearestQuantize and so the
 * training path). All of them return the same indices as {@link #FP32}, bit for bit: the other
 * searches score with the same fp32 arithmetic (see cuda/vq_nearest_common.cuh), the TF32 one
 * only to shortlist candidates whose exact re-rank is certified (cuda/vq_nearest_tc.cu). A mode
 * the shape or GPU cannot run falls back to {@link #FP32}. The default comes from
 * {@code -Dvq4j.nearest=auto|fp32|tf32|small} ({@link #fromProperty()}).
 */
public enum NearestSearch {
    /**
     * The fastest applicable search, by napkin math on an H100:
     * <ul>
     *   <li>{@link #SMALL_D} when D &lt;= 8 and the codebook plus norms fit in 48 KB of shared
     *       memory: K*D FMAs per vector are too few to amortise the tiled kernel's three launches
     *       and 16-dim tiles (D = 4, K = 512, N = 65536: ~10 us of math vs ~160 us today).</li>
     *   <li>{@link #TF32_RERANK} when the GPU is sm_80 or newer, 16 &lt;= D &lt;= 320 and N fills the
     *       GPU (at least one 128-vector block per multiprocessor; the tensor-core kernel has no
     *       code splits): the dot products are 2*N*K*D FLOPs, ~8x faster on tensor cores than
     *       fp32 FMA. Below D = 16 an mma does at most 2 k-steps per tile load and the 4-byte
     *       per-vector list the certification needs is over 6% of the inputs; above 320 dims the
     *       resident z tile no longer fits in shared memory.</li>
     *   <li>{@link #FP32} otherwise.</li>
     * </ul>
     */
    AUTO,
    /** The register-tiled fp32 SIMT search with code splits (cuda/vq_nearest.cu). */
    FP32,
    /** TF32 tensor-core shortlist, exact fp32 re-rank, certified fallback (cuda/vq_nearest_tc.cu). */
    TF32_RERANK,
    /** One thread per vector with the codebook in shared memory (cuda/vq_nearest_small.cu). */
    SMALL_D;

    /** The search named by {@code -Dvq4j.nearest} (auto, fp32, tf32, small; default auto). */
    public static NearestSearch fromProperty() {
        String v = System.getProperty("vq4j.nearest", "auto").trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "auto", "" -> AUTO;
            case "fp32" -> FP32;
            case "tf32" -> TF32_RERANK;
            case "small" -> SMALL_D;
            default -> throw new IllegalArgumentException("-Dvq4j.nearest=" + v + ": expected auto, fp32, tf32 or small");
        };
    }
}
