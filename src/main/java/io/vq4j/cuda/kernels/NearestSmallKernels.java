package io.vq4j.cuda.kernels;

import io.vq4j.cuda.CudaStream;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.KernelLaunch;
import io.vq4j.cuda.KernelModule;

/**
 * Launcher for cuda/vq_nearest_small.cu: the whole nearest-code search for D &lt;= 8 in one
 * kernel (norms, search, distance, zq), one thread per vector. Buffers are borrowed.
 */
public final class NearestSmallKernels {
    private NearestSmallKernels() {}

    /** Largest D (VQS_MAX_D). */
    public static final int MAX_D = 8;
    static final int THREADS = 256;
    /** Vectors per block (VQS_VECTORS): groups of four threads (VQS_SPLIT) own two vectors each. */
    static final int VECTORS_PER_BLOCK = THREADS / 4 * 2;

    /** Whether the kernel takes this shape: D &lt;= 8 and the codebook + norms fit in 48 KB. */
    public static boolean supports(int d, int k) {
        return d >= 1 && d <= MAX_D && sharedBytes(d, k) <= CodebookDeviceLimits.DEFAULT_DYNAMIC_SHARED;
    }

    static long sharedBytes(int d, int k) { return 4L * k * (d + 1); }

    /**
     * {@code indices} (and {@code distances}, {@code zq} when not null); non-finite codebook rows
     * into status[0], z vectors into status[1] (lowest wins).
     */
    public record Params(DeviceBuffer z, DeviceBuffer codebook, DeviceBuffer indices, DeviceBuffer distances,
                         DeviceBuffer zq, DeviceBuffer status, int n, int spatial, int d, int k) {}

    public static void search(KernelModule module, CudaStream stream, Params p) {
        if (!supports(p.d(), p.k())) {
            throw new IllegalArgumentException("vq_nearest_small: D = " + p.d() + ", K = " + p.k() + " not supported");
        }
        KernelLaunch.of(module, "vq_nearest_small", stream)
                .grid((p.n() + (long) VECTORS_PER_BLOCK - 1) / VECTORS_PER_BLOCK).block(THREADS).sharedBytes((int) sharedBytes(p.d(), p.k()))
                .arg(p.z()).arg(p.codebook()).arg(p.indices()).argOrNull(p.distances()).argOrNull(p.zq())
                .arg(p.status()).arg(p.n()).arg(p.spatial()).arg(p.d()).arg(p.k())
                .launch();
    }
}
