package io.vq4j.cuda.kernels;

import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.KernelLaunch;

/**
 * Launchers for cuda/bias_grad.cu: {@code db[c] = sum over (n, p) of dy[n][c][p]}, two
 * deterministic passes through an fp64 scratch of {@link #partialDoubles} values.
 */
public final class BiasGradKernels {
    private BiasGradKernels() {}

    static final int THREADS = 256;

    /** dy is [n, c, hw] (NCHW with hw = H * W), db is [c]; partial holds {@link #partialDoubles}(n, c) doubles. */
    public record Params(DeviceBuffer db, DeviceBuffer partial, DeviceBuffer dy, int n, int c, long hw) {}

    /** Row splits per channel: about 1024 blocks for wide layers; depends on the shape only, so the sum's order does. */
    public static int splits(int n, int c) {
        return Math.max(1, Math.min(n, Math.max(1, 1024 / Math.max(1, c))));
    }

    public static long partialDoubles(int n, int c) { return (long) c * splits(n, c); }

    public static void biasGrad(Cuda.Runtime rt, Params p) {
        if (p.n() < 1 || p.c() < 1 || p.hw() < 1) {
            throw new IllegalArgumentException("bias gradient of dy [" + p.n() + ", " + p.c() + ", " + p.hw() + "]: every size must be >= 1");
        }
        int splits = splits(p.n(), p.c());
        if (p.c() > 65535) throw new IllegalArgumentException("bias gradient: C = " + p.c() + " > 65535 (grid.y)");
        KernelLaunch.of(rt.kernels(), "bias_grad_partial_f32", rt.stream())
                .grid(splits, p.c(), 1).block(THREADS)
                .arg(p.partial()).arg(p.dy()).arg(p.n()).arg(p.c()).arg(p.hw()).arg(splits)
                .launch();
        KernelLaunch.of(rt.kernels(), "bias_grad_finish_f32", rt.stream())
                .grid((p.c() + THREADS - 1) / THREADS).block(THREADS)
                .arg(p.db()).arg(p.partial()).arg(p.c()).arg(splits)
                .launch();
    }
}
