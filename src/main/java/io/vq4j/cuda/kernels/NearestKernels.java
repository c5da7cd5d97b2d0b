package io.vq4j.cuda.kernels;

import io.vq4j.cuda.CudaStream;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.KernelLaunch;
import io.vq4j.cuda.KernelModule;

/**
 * Launchers for cuda/vq_nearest.cu (nearest codebook row per z vector): one parameter record and
 * one thin static launcher per kernel, plus the {@link Plan} that sizes the code splits and the
 * scratch buffers. Buffers are borrowed, never closed here. Run in order on one stream:
 * {@link #codebookNorms}, {@link #argmin}, {@link #finalizeResult}.
 *
 * <p>z is read in place: element (n, c) at {@code (b*d + c)*spatial + s}, {@code n = b*spatial + s}
 * (rows: spatial = 1).
 */
public final class NearestKernels {
    private NearestKernels() {}

    /** z vectors per argmin block (VQN_BM in the kernel). */
    public static final int BLOCK_VECTORS = 128;
    /** Codes per code tile (VQN_BN in the kernel). */
    public static final int TILE_CODES = 64;
    /** Threads per argmin block (VQN_THREADS). */
    static final int ARGMIN_THREADS = 256;

    /** Words of the status buffer: [0] lowest non-finite codebook row, [1] lowest non-finite z vector. */
    public static final int STATUS_WORDS = 2;
    public static final int STATUS_CODEBOOK_ROW = 0;
    public static final int STATUS_Z_VECTOR = 1;
    /** "Nothing found": fill the status buffer with this before the launches. */
    public static final int STATUS_NONE = Integer.MAX_VALUE;

    /**
     * How the code tiles are split over blockIdx.y so that small N still fills the GPU:
     * {@code splits} ranges of {@code tilesPerSplit} code tiles each (none empty). The answer does
     * not depend on the split (same per-pair arithmetic, order-free lexicographic minimum).
     */
    public record Plan(int rowBlocks, int splits, int tilesPerSplit) {
        /** Aims for about 4 resident waves of blocks: {@code 4 * multiprocessors} blocks in all. */
        public static Plan of(int n, int k, int multiprocessors) {
            int rowBlocks = (int) ((n + (long) BLOCK_VECTORS - 1) / BLOCK_VECTORS);
            int codeTiles = (k - 1) / TILE_CODES + 1;
            long target = 4L * Math.max(1, multiprocessors);
            long want = Math.max(1, (target + rowBlocks - 1) / rowBlocks);
            int splits = (int) Math.min(Math.min(want, codeTiles), 65535);
            int tilesPerSplit = (codeTiles + splits - 1) / splits;
            splits = (codeTiles + tilesPerSplit - 1) / tilesPerSplit; // no empty split
            return new Plan(rowBlocks, splits, tilesPerSplit);
        }

        /** Elements of each scratch buffer (partial values F32, partial indices I32). */
        public long partialElements(int n) { return (long) splits * n; }
    }

    /** ||e_k||^2 into {@code norms} [K]; the lowest non-finite row into status[0] (atomicMin). */
    public record NormsParams(DeviceBuffer codebook, DeviceBuffer norms, DeviceBuffer status, int k, int d) {}

    public static void codebookNorms(KernelModule module, CudaStream stream, NormsParams p) {
        int warpsPerBlock = 8;
        KernelLaunch.of(module, "vq_nearest_codebook_norms", stream)
                .grid((p.k() + (long) warpsPerBlock - 1) / warpsPerBlock).block(32 * warpsPerBlock)
                .arg(p.codebook()).arg(p.norms()).arg(p.status()).arg(p.k()).arg(p.d())
                .launch();
    }

    /**
     * Per split, the best (score, index) of every vector into {@code partValues}/{@code partIndices}
     * [splits, N]; the lowest non-finite z vector into status[1].
     */
    public record ArgminParams(DeviceBuffer z, DeviceBuffer codebook, DeviceBuffer norms, DeviceBuffer partValues,
                               DeviceBuffer partIndices, DeviceBuffer status, int n, int spatial, int d, int k,
                               Plan plan) {}

    public static void argmin(KernelModule module, CudaStream stream, ArgminParams p) {
        KernelLaunch.of(module, "vq_nearest_argmin", stream)
                .grid(p.plan().rowBlocks(), p.plan().splits(), 1).block(ARGMIN_THREADS)
                .arg(p.z()).arg(p.codebook()).arg(p.norms()).arg(p.partValues()).arg(p.partIndices()).arg(p.status())
                .arg(p.n()).arg(p.spatial()).arg(p.d()).arg(p.k()).arg(p.plan().tilesPerSplit())
                .launch();
    }

    /**
     * Reduces the splits into {@code indices} [N]; when {@code distances} is not null, writes
     * the exact fp32 {@code sum_c (z - e)^2} of the chosen code; when {@code zq} is not null, copies
     * the chosen row there in z's layout.
     */
    public record FinalizeParams(DeviceBuffer z, DeviceBuffer codebook, DeviceBuffer partValues,
                                 DeviceBuffer partIndices, DeviceBuffer indices, DeviceBuffer distances,
                                 DeviceBuffer zq, int n, int spatial, int d, int k, int splits) {}

    public static void finalizeResult(KernelModule module, CudaStream stream, FinalizeParams p) {
        int threads = 256;
        KernelLaunch.of(module, "vq_nearest_finalize", stream)
                .grid((p.n() + (long) threads - 1) / threads).block(threads)
                .arg(p.z()).arg(p.codebook()).arg(p.partValues()).arg(p.partIndices())
                .arg(p.indices()).argOrNull(p.distances()).argOrNull(p.zq())
                .arg(p.n()).arg(p.spatial()).arg(p.d()).arg(p.k()).arg(p.splits())
                .launch();
    }
}
