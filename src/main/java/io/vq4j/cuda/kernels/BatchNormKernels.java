package io.vq4j.cuda.kernels;

import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.KernelLaunch;

/**
 * Launchers for cuda/batch_norm.cu: BatchNorm2d training forward and backward over NCHW
 * [n, c, hw]. Scratch: {@link #partialDoubles} doubles and {@link #paramFloats} floats.
 */
public final class BatchNormKernels {
    private BatchNormKernels() {}

    static final int THREADS = 256;

    /** Chunks per (n, c) row in the reductions: about 1024 blocks in all; depends on the shape only. */
    static int parts(int n, int c, long hw) {
        long byRows = Math.max(1, 1024L / Math.max(1L, (long) n * c));
        long bySize = Math.max(1, (hw + 2047) / 2048);
        return (int) Math.min(byRows, bySize);
    }

    static int units(int n, int c, long hw) { return n * parts(n, c, hw); }

    public static long partialDoubles(int n, int c, long hw) { return 2L * c * units(n, c, hw); }

    public static long paramFloats(int c) { return 4L * c; }

    /**
     * y, saveMean, saveInvstd from x; running statistics updated in place when runningMean is not null.
     * partial and params are scratch of {@link #partialDoubles} doubles and {@link #paramFloats} floats.
     */
    public record Forward(DeviceBuffer y, DeviceBuffer saveMean, DeviceBuffer saveInvstd, DeviceBuffer runningMean,
                          DeviceBuffer runningVar, DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta,
                          DeviceBuffer partial, DeviceBuffer params, int n, int c, long hw, float eps, float momentum) {}

    /** dx, dGamma, dBeta from dy, x and the forward's saved statistics. */
    public record Backward(DeviceBuffer dx, DeviceBuffer dGamma, DeviceBuffer dBeta, DeviceBuffer dy, DeviceBuffer x,
                           DeviceBuffer gamma, DeviceBuffer saveMean, DeviceBuffer saveInvstd,
                           DeviceBuffer partial, DeviceBuffer params, int n, int c, long hw) {}

    public static void forward(Cuda.Runtime rt, Forward p) {
        check(p.n(), p.c(), p.hw());
        int units = units(p.n(), p.c(), p.hw());
        reduce(rt, p.partial(), p.x(), null, null, p.n(), p.c(), p.hw());
        KernelLaunch.of(rt.kernels(), "bn_forward_finish_f32", rt.stream())
                .grid((p.c() + THREADS - 1) / THREADS).block(THREADS)
                .arg(p.params()).arg(p.saveMean()).arg(p.saveInvstd()).argOrNull(p.runningMean()).argOrNull(p.runningVar())
                .arg(p.partial()).arg(p.x()).arg(p.gamma()).arg(p.beta()).arg(p.c()).arg(p.hw()).arg(units)
                .arg((long) p.n() * p.hw()).arg(p.eps()).arg(p.momentum())
                .launch();
        apply(rt, "bn_forward_apply_f32", p.n(), p.c(), p.hw(), l -> l.arg(p.y()).arg(p.x()).arg(p.params()));
    }

    public static void backward(Cuda.Runtime rt, Backward p) {
        check(p.n(), p.c(), p.hw());
        int units = units(p.n(), p.c(), p.hw());
        reduce(rt, p.partial(), p.x(), p.dy(), p.saveMean(), p.n(), p.c(), p.hw());
        KernelLaunch.of(rt.kernels(), "bn_backward_finish_f32", rt.stream())
                .grid((p.c() + THREADS - 1) / THREADS).block(THREADS)
                .arg(p.params()).arg(p.dGamma()).arg(p.dBeta()).arg(p.partial()).arg(p.gamma()).arg(p.saveMean())
                .arg(p.saveInvstd()).arg(p.c()).arg(units).arg((long) p.n() * p.hw())
                .launch();
        apply(rt, "bn_backward_apply_f32", p.n(), p.c(), p.hw(), l -> l.arg(p.dx()).arg(p.dy()).arg(p.x()).arg(p.params()));
    }

    private static void check(int n, int c, long hw) {
        if (n < 1 || c < 1 || hw < 1) {
            throw new IllegalArgumentException("batch norm of [" + n + ", " + c + ", " + hw + "]: every size must be >= 1");
        }
        if (c > 65535) throw new IllegalArgumentException("batch norm: C = " + c + " > 65535 (grid.y)");
    }

    private static void reduce(Cuda.Runtime rt, DeviceBuffer partial, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer mean,
                               int n, int c, long hw) {
        KernelLaunch.of(rt.kernels(), "bn_reduce_f32", rt.stream())
                .grid(units(n, c, hw), c, 1).block(THREADS)
                .arg(partial).arg(x).argOrNull(dy).argOrNull(mean).arg(n).arg(c).arg(hw).arg(parts(n, c, hw))
                .launch();
    }

    /** One block per (n, c) row, capped at a few waves (the kernels grid-stride over rows). */
    private static void apply(Cuda.Runtime rt, String kernel, int n, int c, long hw,
                              java.util.function.UnaryOperator<KernelLaunch> args) {
        long rows = (long) n * c;
        long blocks = Math.max(1, Math.min(rows, (long) rt.context().multiprocessorCount() * 16));
        args.apply(KernelLaunch.of(rt.kernels(), kernel, rt.stream()).grid(blocks).block(THREADS))
                .arg(rows).arg(c).arg(hw)
                .launch();
    }
}
