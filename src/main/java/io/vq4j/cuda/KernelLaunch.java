package io.vq4j.cuda;

import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.JCudaDriver;

import java.util.Arrays;

/**
 * A small builder for one kernel launch: grid, block, dynamic shared memory, stream and typed
 * arguments in the order of the kernel's signature. The launch's return code is checked; with
 * {@code -Dvq4j.cuda.syncCheck=true} the stream is also synchronized after every launch so an
 * asynchronous fault names the kernel that caused it (tests turn this on).
 *
 * <p>Each argument is kept as one 8-byte slot (a device address, a long, a double, or an int or
 * float in the low 4 bytes) and launched through {@link DriverLaunch} (FFM), or through JCuda's
 * wrapper with {@code -Dvq4j.cuda.launch=jcuda}.
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

    private final KernelModule.Function function;
    private final String name;
    private final CudaStream stream;
    private long[] slots = new long[16];
    private int count;
    private int gx = 1, gy = 1, gz = 1, bx = 1, by = 1, bz = 1, sharedBytes;

    private KernelLaunch(KernelModule.Function function, String name, CudaStream stream) {
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

    public KernelLaunch arg(DeviceBuffer b) { return slot(b.address()); }

    /** A device pointer argument that may be absent (passed as NULL). */
    public KernelLaunch argOrNull(DeviceBuffer b) { return slot(b == null ? 0L : b.address()); }

    public KernelLaunch arg(int v) { return slot(v & 0xFFFF_FFFFL); }

    public KernelLaunch arg(long v) { return slot(v); }

    public KernelLaunch arg(float v) { return slot(Float.floatToRawIntBits(v) & 0xFFFF_FFFFL); }

    public KernelLaunch arg(double v) { return slot(Double.doubleToRawLongBits(v)); }

    private KernelLaunch slot(long v) {
        if (count == slots.length) slots = Arrays.copyOf(slots, 2 * count);
        slots[count++] = v;
        return this;
    }

    public void launch() {
        stream.context().bind();
        int result;
        if (DriverLaunch.FFM) {
            result = DriverLaunch.launch(function.address(), gx, gy, gz, bx, by, bz, sharedBytes, stream.handle(), slots, count);
        } else {
            NativePointerObject[] params = new NativePointerObject[count];
            for (int i = 0; i < count; i++) params[i] = Pointer.to(new long[] {slots[i]});
            result = JCudaDriver.cuLaunchKernel(function, gx, gy, gz, bx, by, bz, sharedBytes, stream.jcuda(),
                    Pointer.to(params), null);
        }
        CudaCheck.check(result, this::describe);
        if (SYNC_CHECK) {
            CudaCheck.check(JCudaDriver.cuStreamSynchronize(stream.jcuda()), () -> "after " + describe());
        }
    }

    private String describe() {
        return "cuLaunchKernel(" + name + ", grid=(" + gx + "," + gy + "," + gz + "), block=("
                + bx + "," + by + "," + bz + "), shared=" + sharedBytes + ")";
    }
}
