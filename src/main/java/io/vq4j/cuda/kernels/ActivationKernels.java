package io.vq4j.cuda.kernels;

import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.KernelLaunch;

/** Launchers for cuda/activation.cu. */
public final class ActivationKernels {
    private ActivationKernels() {}

    /** The activation kinds, in the order of cuda/activation.cu's switch. */
    public enum Kind { RELU, LEAKY_RELU, TANH, SIGMOID }

    private static final int THREADS = 256;

    /** y = f(x) over n elements. */
    public record Forward(DeviceBuffer y, DeviceBuffer x, long n, Kind kind, float slope) {}

    /** dx = dy * f'(saved) over n elements; saved is x (ReLU kinds) or y (tanh, sigmoid). */
    public record Backward(DeviceBuffer dx, DeviceBuffer dy, DeviceBuffer saved, long n, Kind kind, float slope) {}

    public static void forward(Cuda.Runtime rt, Forward p) {
        KernelLaunch.of(rt.kernels(), "act_forward_f32", rt.stream())
                .grid(Grids.gridStride((p.n() + 3) / 4, THREADS, rt.context().multiprocessorCount(), 8)).block(THREADS)
                .arg(p.y()).arg(p.x()).arg(p.n()).arg(p.kind().ordinal()).arg(p.slope())
                .launch();
    }

    public static void backward(Cuda.Runtime rt, Backward p) {
        KernelLaunch.of(rt.kernels(), "act_backward_f32", rt.stream())
                .grid(Grids.gridStride((p.n() + 3) / 4, THREADS, rt.context().multiprocessorCount(), 8)).block(THREADS)
                .arg(p.dx()).arg(p.dy()).arg(p.saved()).arg(p.n()).arg(p.kind().ordinal()).arg(p.slope())
                .launch();
    }
}
