package io.vq4j.cuda.kernels;

import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.KernelLaunch;

/** Launcher for cuda/optim.cu. */
public final class OptimKernels {
    private OptimKernels() {}

    private static final int THREADS = 256;

    /**
     * One Adam/AdamW step over n elements, in place on param, m and v. {@code step} is the 1-based
     * step count t (bias corrections 1 - b^t are formed here in double, as PyTorch does on the host).
     */
    public record AdamStep(DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, long n,
                           float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled,
                           long step) {}

    public static void adam(Cuda.Runtime rt, AdamStep p) {
        double bc1 = 1 - Math.pow(p.beta1(), p.step());
        double bc2 = 1 - Math.pow(p.beta2(), p.step());
        KernelLaunch.of(rt.kernels(), "optim_adam_f32", rt.stream())
                .grid(Grids.gridStride((p.n() + 3) / 4, THREADS, rt.context().multiprocessorCount(), 8)).block(THREADS)
                .arg(p.param()).arg(p.grad()).arg(p.m()).arg(p.v()).arg(p.n())
                .arg(p.lr()).arg(p.beta1()).arg(p.beta2()).arg(p.eps()).arg(p.weightDecay()).arg(p.decoupled() ? 1 : 0)
                .arg((float) (p.lr() / bc1)).arg((float) (1 / Math.sqrt(bc2)))
                .launch();
    }
}
