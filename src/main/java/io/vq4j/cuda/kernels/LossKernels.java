package io.vq4j.cuda.kernels;

import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.KernelLaunch;

/** Launchers for cuda/loss.cu and the elementwise helpers of cuda/util.cu. */
public final class LossKernels {
    private LossKernels() {}

    private static final int THREADS = 256;
    /** Fixed so the partial sums (and so the loss's bits) do not depend on the device. */
    public static final int MSE_BLOCKS = 1024;

    /**
     * MSE over n elements: grad = gradScale * 2 * (pred - target) (skipped when grad is null) and
     * out[0] = valueScale * sum (pred - target)^2; {@code partials} holds {@link #MSE_BLOCKS} doubles.
     */
    public record Mse(DeviceBuffer pred, DeviceBuffer target, DeviceBuffer grad, long n, float gradScale,
                      double valueScale, DeviceBuffer partials, DeviceBuffer out) {}

    public static void mse(Cuda.Runtime rt, Mse p) {
        int blocks = (int) Math.min(MSE_BLOCKS, Math.max(1, (p.n() + THREADS - 1) / THREADS));
        KernelLaunch.of(rt.kernels(), "loss_mse_partial_f32", rt.stream()).grid(blocks).block(THREADS)
                .arg(p.pred()).arg(p.target()).argOrNull(p.grad()).arg(p.n()).arg(p.gradScale()).arg(p.partials())
                .launch();
        KernelLaunch.of(rt.kernels(), "loss_mse_finish_f32", rt.stream()).grid(1).block(THREADS)
                .arg(p.partials()).arg(blocks).arg(p.valueScale()).arg(p.out())
                .launch();
    }

    /** out = alpha * a + beta * b over n elements. */
    public record Axpby(DeviceBuffer out, float alpha, DeviceBuffer a, float beta, DeviceBuffer b, long n) {}

    public static void axpby(Cuda.Runtime rt, Axpby p) {
        KernelLaunch.of(rt.kernels(), "util_axpby_f32", rt.stream())
                .grid(Grids.gridStride(p.n(), THREADS, rt.context().multiprocessorCount(), 8)).block(THREADS)
                .arg(p.out()).arg(p.a()).arg(p.b()).arg(p.n()).arg(p.alpha()).arg(p.beta())
                .launch();
    }
}
