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

    /** Dynamic shared memory of the search: z tile, two codebook chunks, winners, z offsets. */
    static int searchSharedBytes(int d) {
        int dp = (d + 7) & ~7;
        return 4 * BLOCK_VECTORS * (dp + 4) + 2 * 64 * 68 * 4 + 4 * BLOCK_VECTORS + 8 * BLOCK_VECTORS;
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
        String name = "vq_nearest_tc_search";
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
