package io.vq4j.cuda.kernels;

import io.vq4j.cuda.CudaStream;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.KernelLaunch;
import io.vq4j.cuda.KernelModule;

/**
 * Launchers for cuda/vq_nearest_tc.cu (TF32 tensor-core shortlist, exact fp32 re-rank, certified
 * fallback): one parameter record and one thin static launcher per kernel. Run on one stream after
 * {@link NearestKernels#codebookNorms} (whose norms both kernels use): {@link #search}, then
 * {@link #fallback}, which reads the list count on the device (no host round trip). The list
 * count must be zero before {@link #search}. Buffers are borrowed, never closed here.
 */
public final class NearestTcKernels {
    private NearestTcKernels() {}

    /** z vectors per search block (VQT_BM). */
    public static final int BLOCK_VECTORS = 128;
    /** Largest D the search takes: its z tile [128][D + 4] stays in shared memory (VQT header). */
    public static final int MAX_D = 320;
    static final int THREADS = 256;
    /** Vectors per fallback chunk (VQT_FB_VECS). */
    static final int FALLBACK_VECTORS = 16;

    /** Whether the search kernel runs on this GPU (mma.sync TF32: sm_80+) for this D. */
    public static boolean supports(int computeCapabilityMajor, int d) {
        return computeCapabilityMajor >= 8 && d >= 1 && d <= MAX_D;
    }

    /** Largest padded D (a multiple of 8) the narrow kernels take: one 64-dim codebook chunk. */
    static final int NARROW_MAX_D = 64;

    /**
     * The search kernel for this D: {@code vq_nearest_tc_search32} (D <= 32) or
     * {@code vq_nearest_tc_search} (D <= 64), which pad z to 32 or 64 dims and keep each of a
     * vector's 8 partitions' best code and second value; {@code vq_nearest_tc_search_wide}
     * (D <= 320), four codes each.
     */
    static String searchKernel(int d) {
        int w = tileWidth(d);
        return w == 32 ? "vq_nearest_tc_search32" : w == 64 ? "vq_nearest_tc_search" : "vq_nearest_tc_search_wide";
    }

    /** Dims of the search's z tile: 32 or 64 for the narrow kernels, else D rounded up to 8. */
    static int tileWidth(int d) {
        int p = padded(d);
        return p <= 32 ? 32 : p <= NARROW_MAX_D ? NARROW_MAX_D : p;
    }

    /**
     * Dynamic shared memory of the search: z tile, the codebook chunks or (after the loop) the
     * partitions' lists and the re-rank queue, winners, z offsets (vqt_es_words in the .cu).
     */
    static int searchSharedBytes(int d) {
        int kept = padded(d) <= NARROW_MAX_D ? 2 : 4;
        int chunkWords = 2 * 64 * 68;
        int listWords = BLOCK_VECTORS * (2 * 8 * kept + 2 * 4 + 2);
        return 4 * BLOCK_VECTORS * (tileWidth(d) + 4) + 4 * Math.max(chunkWords, listWords)
                + 4 * BLOCK_VECTORS + 8 * BLOCK_VECTORS;
    }

    private static int padded(int d) {
        return (d + 7) & ~7;
    }

    /**
     * Writes {@code indices} (and {@code distances}, {@code zq} when not null) for every vector and
     * appends each uncertified vector's n to {@code list} (I32 [N]) via {@code listCount} (I32 [1],
     * zeroed by the caller); the lowest non-finite z vector goes to status[1].
     */
    public record SearchParams(DeviceBuffer z, DeviceBuffer codebook, DeviceBuffer norms, DeviceBuffer indices,
                               DeviceBuffer distances, DeviceBuffer zq, DeviceBuffer list, DeviceBuffer listCount,
                               DeviceBuffer status, int n, int spatial, int d, int k) {}

    public static void search(KernelModule module, CudaStream stream, SearchParams p) {
        String name = searchKernel(p.d());
        int shared = searchSharedBytes(p.d());
        if (shared > CodebookDeviceLimits.DEFAULT_DYNAMIC_SHARED) CodebookDeviceLimits.allowLargeDynamicShared(name);
        KernelLaunch.of(module, name, stream)
                .grid((p.n() + (long) BLOCK_VECTORS - 1) / BLOCK_VECTORS).block(THREADS).sharedBytes(shared)
                .arg(p.z()).arg(p.codebook()).arg(p.norms()).arg(p.indices()).argOrNull(p.distances())
                .argOrNull(p.zq()).arg(p.list()).arg(p.listCount()).arg(p.status())
                .arg(p.n()).arg(p.spatial()).arg(p.d()).arg(p.k())
                .launch();
    }

    /** Exhaustive fp32 search of the listed vectors, overwriting their indices (distances, zq). */
    public record FallbackParams(DeviceBuffer z, DeviceBuffer codebook, DeviceBuffer norms, DeviceBuffer list,
                                 DeviceBuffer listCount, DeviceBuffer indices, DeviceBuffer distances, DeviceBuffer zq,
                                 int n, int spatial, int d, int k, int multiprocessors) {}

    public static void fallback(KernelModule module, CudaStream stream, FallbackParams p) {
        // Grid-stride over chunks of listed vectors: enough blocks for a few per multiprocessor,
        // never more than the chunks N could need; an empty list costs one wave of empty blocks.
        long chunks = (p.n() + (long) FALLBACK_VECTORS - 1) / FALLBACK_VECTORS;
        long grid = Math.max(1, Math.min(chunks, 4L * Math.max(1, p.multiprocessors())));
        KernelLaunch.of(module, "vq_nearest_tc_fallback", stream)
                .grid(grid).block(THREADS).sharedBytes(4 * FALLBACK_VECTORS * p.d())
                .arg(p.z()).arg(p.codebook()).arg(p.norms()).arg(p.list()).arg(p.listCount())
                .arg(p.indices()).argOrNull(p.distances()).argOrNull(p.zq())
                .arg(p.n()).arg(p.spatial()).arg(p.d()).arg(p.k())
                .launch();
    }
}
