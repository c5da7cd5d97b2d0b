package io.vq4j.cuda;

import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.JCudaDriver;

import java.util.ArrayList;
import java.util.List;

/**
 * A small builder for one kernel launch: grid, block, dynamic shared memory, stream and typed
 * arguments in the order of the kernel's signature. The launch's return code is checked; with
 * {@code -Dvq4j.cuda.syncCheck=true} the stream is also synchronized after every launch so an
 * asynchronous fault names the kernel that caused it (tests turn this on).
 *
 * <pre>{@code
 * KernelLaunch.of(module.function("vq_gather"), stream)
 *     .grid(blocks).block(256)
 *     .arg(zq).arg(codebook).arg(idx).arg(n).arg(d)
 *     .launch();
 * }</pre>
 */
public final class KernelLaunch {
    static final boolean SYNC_CHECK = Boolean.getBoolean("vq4j.cuda.syncCheck");

    private final CUfunction function;
    private final String name;
    private final CudaStream stream;
    private final List<NativePointerObject> args = new ArrayList<>(16);
    private int gx = 1, gy = 1, gz = 1, bx = 1, by = 1, bz = 1, sharedBytes;

    private KernelLaunch(CUfunction function, String name, CudaStream stream) {
        this.function = function;
        this.name = name;
        this.stream = stream;
    }

    public static KernelLaunch of(KernelModule module, String kernel, CudaStream stream) {
        return new KernelLaunch(module.function(kernel), kernel, stream);
    }

    public KernelLaunch grid(long x) { return grid(x, 1, 1); }

    public KernelLaunch grid(long x, long y, long z) {
        if (x < 1 || y < 1 || z < 1 || x > Integer.MAX_VALUE || y > 65535 || z > 65535) {
            throw new IllegalArgumentException(name + ": grid (" + x + ", " + y + ", " + z + ") out of range");
        }
        gx = (int) x; gy = (int) y; gz = (int) z;
        return this;
    }

    public KernelLaunch block(int x) { return block(x, 1, 1); }

    public KernelLaunch block(int x, int y, int z) { bx = x; by = y; bz = z; return this; }

    public KernelLaunch sharedBytes(int bytes) { sharedBytes = bytes; return this; }

    public KernelLaunch arg(DeviceBuffer b) { args.add(Pointer.to(b.pointer())); return this; }

    /** A device pointer argument that may be absent (passed as NULL). */
    public KernelLaunch argOrNull(DeviceBuffer b) {
        args.add(b == null ? Pointer.to(new long[] {0L}) : Pointer.to(b.pointer()));
        return this;
    }

    public KernelLaunch arg(int v) { args.add(Pointer.to(new int[] {v})); return this; }

    public KernelLaunch arg(long v) { args.add(Pointer.to(new long[] {v})); return this; }

    public KernelLaunch arg(float v) { args.add(Pointer.to(new float[] {v})); return this; }

    public KernelLaunch arg(double v) { args.add(Pointer.to(new double[] {v})); return this; }

    public void launch() {
        stream.context().bind();
        Pointer params = Pointer.to(args.toArray(new NativePointerObject[0]));
        CudaCheck.check(JCudaDriver.cuLaunchKernel(function, gx, gy, gz, bx, by, bz, sharedBytes,
                stream.jcuda(), params, null), this::describe);
        if (SYNC_CHECK) {
            CudaCheck.check(JCudaDriver.cuStreamSynchronize(stream.jcuda()), () -> "after " + describe());
        }
    }

    private String describe() {
        return "cuLaunchKernel(" + name + ", grid=(" + gx + "," + gy + "," + gz + "), block=("
                + bx + "," + by + "," + bz + "), shared=" + sharedBytes + ")";
    }
}
