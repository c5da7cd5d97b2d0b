package io.vq4j.cuda.kernels;

import io.vq4j.cuda.CudaStream;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.KernelLaunch;
import io.vq4j.cuda.KernelModule;

/**
 * Launchers for cuda/vq_quantize.cu (gather zq = e[idx], straight-through output, loss): one
 * parameter record and one thin static launcher per kernel. Buffers are borrowed, never closed
 * here. Run {@link #gather} then {@link #loss} on one stream; no host round trip in between.
 */
public final class QuantizeKernels {
    private QuantizeKernels() {}

    static final int THREADS = 256;
    /**
     * Most gather blocks (grid-stride beyond that): a fixed number, not a function of the GPU, so
     * the per-block partials and hence the losses are bitwise reproducible everywhere. 2048 blocks
     * of 256 threads keep an H100 (132 SMs x 2048 threads) fully occupied.
     */
    static final int MAX_BLOCKS = 2048;

    /** Words of the status buffer: [0] the lowest n whose index is outside [0, K). */
    public static final int STATUS_WORDS = 1;
    /** "Nothing found": fill the status buffer with this before the launch. */
    public static final int STATUS_NONE = Integer.MAX_VALUE;

    /** Gather blocks, hence doubles in the partials buffer, for {@code numel} = N*D elements. */
    public static int gatherBlocks(long numel) {
        return (int) Math.max(1, Math.min(MAX_BLOCKS, (numel + THREADS - 1) / THREADS));
    }

    /**
     * zq and st (z's layout, F32), one double loss partial per block into {@code partials}
     * ({@link #gatherBlocks} doubles), the lowest bad-index vector into status[0].
     */
    public record GatherParams(DeviceBuffer z, DeviceBuffer codebook, DeviceBuffer indices, DeviceBuffer zq,
                               DeviceBuffer straightThrough, DeviceBuffer partials, DeviceBuffer status,
                               long numel, int spatial, int d, int k) {}

    public static void gather(KernelModule module, CudaStream stream, GatherParams p) {
        KernelLaunch.of(module, "vq_quantize_gather", stream)
                .grid(gatherBlocks(p.numel())).block(THREADS)
                .arg(p.z()).arg(p.codebook()).arg(p.indices()).arg(p.zq()).arg(p.straightThrough())
                .arg(p.partials()).arg(p.status())
                .arg(p.numel()).arg(p.spatial()).arg(p.d()).arg(p.k())
                .launch();
    }

    /** losses [2] = {sum / count, sum / count} from {@code parts} partials. */
    public record LossParams(DeviceBuffer partials, int parts, DeviceBuffer losses, long count) {}

    public static void loss(KernelModule module, CudaStream stream, LossParams p) {
        KernelLaunch.of(module, "vq_quantize_loss", stream)
                .grid(1).block(THREADS)
                .arg(p.partials()).arg(p.parts()).arg(p.losses()).arg((double) p.count())
                .launch();
    }
}
