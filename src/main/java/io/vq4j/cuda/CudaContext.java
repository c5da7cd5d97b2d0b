package io.vq4j.cuda;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

import java.nio.charset.StandardCharsets;

/**
 * The primary context of one device ({@code cuDevicePrimaryCtxRetain}): the same context the
 * runtime API (and so cuBLAS and cuDNN) uses, so all three share memory and streams.
 * Usable from any Java thread: every entry point calls {@link #bind()}, which makes the context
 * current on the calling thread once per thread.
 */
public final class CudaContext implements AutoCloseable {
    private final int ordinal;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final ThreadLocal<Boolean> boundHere = ThreadLocal.withInitial(() -> false);
    private final String name;
    private final int ccMajor, ccMinor, multiprocessors;
    private volatile boolean closed;

    CudaContext(int ordinal) {
        this.ordinal = ordinal;
        CudaCheck.check(JCudaDriver.cuDeviceGet(device, ordinal), "cuDeviceGet(" + ordinal + ")");
        CudaCheck.check(JCudaDriver.cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain(" + ordinal + ")");
        try {
            bind();
            byte[] buf = new byte[256];
            CudaCheck.check(JCudaDriver.cuDeviceGetName(buf, buf.length, device), "cuDeviceGetName");
            int len = 0;
            while (len < buf.length && buf[len] != 0) len++;
            name = new String(buf, 0, len, StandardCharsets.US_ASCII);
            ccMajor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
            ccMinor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
            multiprocessors = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        } catch (RuntimeException e) {
            JCudaDriver.cuDevicePrimaryCtxRelease(device); // undo the retain: no half-made context
            throw e;
        }
    }

    /** Makes this context current on the calling thread (a no-op after the first call per thread). */
    public void bind() {
        if (closed) throw new IllegalStateException("CudaContext is closed");
        if (!boundHere.get()) {
            CudaCheck.check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
            boundHere.set(true);
        }
    }

    public int attribute(int cuDeviceAttribute) {
        int[] v = new int[1];
        CudaCheck.check(JCudaDriver.cuDeviceGetAttribute(v, cuDeviceAttribute, device), "cuDeviceGetAttribute(" + cuDeviceAttribute + ")");
        return v[0];
    }

    /** {free, total} device memory in bytes, as the driver reports it now. */
    public long[] memoryInfo() {
        bind();
        long[] free = new long[1], total = new long[1];
        CudaCheck.check(JCudaDriver.cuMemGetInfo(free, total), "cuMemGetInfo");
        return new long[] {free[0], total[0]};
    }

    /** Waits for all work on this context. */
    public void synchronize() {
        bind();
        CudaCheck.check(JCudaDriver.cuCtxSynchronize(), "cuCtxSynchronize");
    }

    /** A new stream on this context; the caller owns (and closes) it. */
    public CudaStream newStream() { return new CudaStream(this); }

    public int ordinal() { return ordinal; }
    public String name() { return name; }
    public int computeCapabilityMajor() { return ccMajor; }
    public int computeCapabilityMinor() { return ccMinor; }
    public int multiprocessorCount() { return multiprocessors; }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        CudaCheck.check(JCudaDriver.cuDevicePrimaryCtxRelease(device), "cuDevicePrimaryCtxRelease");
    }

    @Override
    public String toString() {
        return name + " (sm_" + ccMajor + ccMinor + ", " + multiprocessors + " SMs)";
    }
}
