package io.vq4j.cuda;

import jcuda.driver.JCudaDriver;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;

/**
 * Entry point to the GPU: says whether CUDA can be used here (and if not, why), and holds the
 * process-wide device state: the primary context of device 0 (or {@code -Dvq4j.cuda.device=N}),
 * its kernels module and a default stream. The device's memory pool keeps freed memory for reuse
 * ({@code -Dvq4j.cuda.pool=release} gives it back at each synchronization instead). Initialised lazily, once; the reason for
 * unavailability is computed once and never throws.
 */
public final class Cuda {
    private Cuda() {}

    /** What {@link #runtime()} holds once the GPU is usable. */
    public record Runtime(CudaContext context, KernelModule kernels, CudaStream stream, int driverVersion) {}

    private static final Object LOCK = new Object();
    private static volatile boolean probed;
    private static volatile Runtime runtime;
    private static volatile String reason;

    /** True when the JCuda natives load, the driver initialises, a device exists and the kernels were built. */
    public static boolean isAvailable() {
        probe();
        return runtime != null;
    }

    /** Why CUDA is not usable (null when it is). */
    public static String unavailableReason() {
        probe();
        return reason;
    }

    /** The device state; throws {@link IllegalStateException} with the reason when unavailable. */
    public static Runtime runtime() {
        probe();
        Runtime r = runtime;
        if (r == null) throw new IllegalStateException("CUDA is not available: " + reason);
        r.context().bind();
        return r;
    }

    private static void probe() {
        if (probed) return;
        synchronized (LOCK) {
            if (probed) return;
            try {
                runtime = start();
            } catch (Throwable t) {
                reason = describe(t);
            } finally {
                probed = true;
            }
        }
    }

    private static Runtime start() throws IOException {
        // Ask the dynamic loader for the driver first: JCuda's own failure message is pages of
        // nested stack traces, and "no driver" is the common case on CPU machines.
        try {
            SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("no NVIDIA driver: libcuda.so.1 was not found by the dynamic loader");
        }
        try {
            JCudaDriver.setExceptionsEnabled(false);
            int init = JCudaDriver.cuInit(0);
            CudaCheck.check(init, "cuInit");
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            String m = String.valueOf(e.getMessage());
            int nl = m.indexOf('\n');
            throw new IllegalStateException("JCuda's native library could not be loaded: " + (nl < 0 ? m : m.substring(0, nl)), e);
        }
        int[] count = new int[1];
        CudaCheck.check(JCudaDriver.cuDeviceGetCount(count), "cuDeviceGetCount");
        int ordinal = Integer.getInteger("vq4j.cuda.device", 0);
        if (count[0] == 0) throw new IllegalStateException("no CUDA device found");
        if (ordinal < 0 || ordinal >= count[0]) {
            throw new IllegalStateException("vq4j.cuda.device=" + ordinal + " but " + count[0] + " device(s) found");
        }
        byte[] image = KernelModule.readImage();
        if (image == null) {
            throw new IllegalStateException("the GPU kernels were not built (no " + KernelModule.RESOURCE
                    + " in the jar: nvcc was missing at build time)");
        }
        int[] driver = new int[1];
        CudaCheck.check(JCudaDriver.cuDriverGetVersion(driver), "cuDriverGetVersion");
        CudaContext ctx = new CudaContext(ordinal);
        try {
            // Ops allocate their outputs from the stream-ordered pool (cuMemAllocAsync). By default the
            // pool returns freed memory to the driver at every synchronization, so each training step or
            // request would map memory again; keep it instead, as PyTorch's caching allocator does.
            // -Dvq4j.cuda.pool=release restores the driver's default.
            if (!"release".equals(System.getProperty("vq4j.cuda.pool"))) MemoryPool.keepMemory(ctx);
            KernelModule module = new KernelModule(ctx, image);
            CudaStream stream = ctx.newStream();
            return new Runtime(ctx, module, stream, driver[0]);
        } catch (RuntimeException e) {
            ctx.close(); // no half-made runtime
            throw e;
        }
    }

    private static String describe(Throwable t) {
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }

    /** Driver version as "13.0" (from cuDriverGetVersion's 13000). */
    public static String driverVersionString(int v) {
        return (v / 1000) + "." + (v % 1000) / 10;
    }
}
