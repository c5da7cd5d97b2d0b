package io.vq4j.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Device memory from the stream-ordered allocator ({@code cuMemAllocAsync} on the owning stream),
 * so allocation and free do not synchronize the device, and reused through the stream's
 * {@link BlockCache} after warm-up, so they cost no driver call either. Owned by whoever created
 * it; freed by {@link #close()} (idempotent), never by the garbage collector.
 *
 * <p>Host copies are synchronous: they first wait for the owning stream, so the data a kernel
 * wrote is there when the copy reads it.
 */
public final class DeviceBuffer implements AutoCloseable {
    private static final AtomicLong LIVE_BYTES = new AtomicLong();
    private static final AtomicLong LIVE_BUFFERS = new AtomicLong();

    private final CudaStream stream;
    private final long bytes;
    /** What was allocated: the size class of {@code bytes} with the cache on, else max(bytes, 4). */
    private final long capacity;
    private final DevicePointer ptr;
    private volatile boolean closed;

    /** Allocates {@code bytes} (at least 1) on {@code stream}'s context; contents undefined. */
    public DeviceBuffer(CudaStream stream, long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("bytes must be >= 0, got " + bytes);
        this.stream = stream;
        this.bytes = bytes;
        stream.context().bind();
        long request = Math.max(bytes, 4);
        this.capacity = BlockCache.ENABLED ? BlockCache.sizeClass(request) : request;
        DevicePointer p = BlockCache.ENABLED ? stream.cache().take(capacity) : null;
        if (p == null) {
            p = new DevicePointer();
            int r = JCudaDriver.cuMemAllocAsync(p, capacity, stream.jcuda());
            if (r == CUresult.CUDA_ERROR_OUT_OF_MEMORY && stream.cachedBytes() > 0) {
                stream.trimCache(); // blocks kept for other sizes go back to the pool; try once more
                r = JCudaDriver.cuMemAllocAsync(p, capacity, stream.jcuda());
            }
            CudaCheck.check(r, () -> "cuMemAlloc(" + request + " bytes)");
        }
        this.ptr = p;
        LIVE_BYTES.addAndGet(bytes);
        LIVE_BUFFERS.incrementAndGet();
    }

    /** Bytes held by open buffers of this process (a leak check for tests). */
    public static long liveBytes() { return LIVE_BYTES.get(); }

    /** Number of open buffers of this process. */
    public static long liveBuffers() { return LIVE_BUFFERS.get(); }

    public long bytes() { return bytes; }

    public CudaStream stream() { return stream; }

    /** The JCuda pointer, for kernel arguments. */
    public CUdeviceptr pointer() {
        ensureOpen();
        return ptr;
    }

    /** The raw device address, for FFM calls into cuBLAS and cuDNN. */
    public long address() {
        ensureOpen();
        return ptr.address();
    }

    public void copyFrom(float[] src, int srcOffset, long dstByteOffset, int count) {
        checkRange(dstByteOffset, 4L * count, "copyFrom(float[])");
        hostToDevice(Pointer.to(src).withByteOffset(4L * srcOffset), dstByteOffset, 4L * count);
    }

    public void copyFrom(int[] src, int srcOffset, long dstByteOffset, int count) {
        checkRange(dstByteOffset, 4L * count, "copyFrom(int[])");
        hostToDevice(Pointer.to(src).withByteOffset(4L * srcOffset), dstByteOffset, 4L * count);
    }

    public void copyTo(float[] dst, int dstOffset, long srcByteOffset, int count) {
        checkRange(srcByteOffset, 4L * count, "copyTo(float[])");
        deviceToHost(Pointer.to(dst).withByteOffset(4L * dstOffset), srcByteOffset, 4L * count);
    }

    public void copyTo(int[] dst, int dstOffset, long srcByteOffset, int count) {
        checkRange(srcByteOffset, 4L * count, "copyTo(int[])");
        deviceToHost(Pointer.to(dst).withByteOffset(4L * dstOffset), srcByteOffset, 4L * count);
    }

    public void copyTo(double[] dst, int dstOffset, long srcByteOffset, int count) {
        checkRange(srcByteOffset, 8L * count, "copyTo(double[])");
        deviceToHost(Pointer.to(dst).withByteOffset(8L * dstOffset), srcByteOffset, 8L * count);
    }

    public void copyTo(long[] dst, int dstOffset, long srcByteOffset, int count) {
        checkRange(srcByteOffset, 8L * count, "copyTo(long[])");
        deviceToHost(Pointer.to(dst).withByteOffset(8L * dstOffset), srcByteOffset, 8L * count);
    }

    /** Queues a device-to-device copy of {@code bytes} from {@code src} (same context) on this buffer's stream. */
    public void copyFromDevice(DeviceBuffer src, long srcByteOffset, long dstByteOffset, long count) {
        checkRange(dstByteOffset, count, "copyFromDevice");
        src.checkRange(srcByteOffset, count, "copyFromDevice(src)");
        stream.context().bind();
        CudaCheck.check(JCudaDriver.cuMemcpyDtoDAsync(ptr.withByteOffset(dstByteOffset),
                src.ptr.withByteOffset(srcByteOffset), count, stream.jcuda()), "cuMemcpyDtoDAsync");
    }

    /** Queues a fill of every 32-bit word with {@code bits} (e.g. Float.floatToRawIntBits(x)). */
    public void fill32(int bits) {
        ensureOpen();
        stream.context().bind();
        CudaCheck.check(JCudaDriver.cuMemsetD32Async(ptr, bits, bytes / 4, stream.jcuda()), "cuMemsetD32Async");
    }

    private void hostToDevice(Pointer src, long dstByteOffset, long n) {
        if (n == 0) return;
        stream.context().bind();
        CudaCheck.check(JCudaDriver.cuStreamSynchronize(stream.jcuda()), "cuStreamSynchronize");
        CudaCheck.check(JCudaDriver.cuMemcpyHtoD(ptr.withByteOffset(dstByteOffset), src, n),
                () -> "cuMemcpyHtoD(" + n + " bytes)");
    }

    private void deviceToHost(Pointer dst, long srcByteOffset, long n) {
        if (n == 0) return;
        stream.context().bind();
        CudaCheck.check(JCudaDriver.cuStreamSynchronize(stream.jcuda()), "cuStreamSynchronize");
        CudaCheck.check(JCudaDriver.cuMemcpyDtoH(dst, ptr.withByteOffset(srcByteOffset), n),
                () -> "cuMemcpyDtoH(" + n + " bytes)");
    }

    private void checkRange(long offset, long n, String what) {
        ensureOpen();
        if (offset < 0 || n < 0 || offset + n > bytes) {
            throw new IndexOutOfBoundsException(what + ": bytes [" + offset + ", " + (offset + n)
                    + ") outside buffer of " + bytes + " bytes");
        }
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("DeviceBuffer is closed");
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        LIVE_BYTES.addAndGet(-bytes);
        LIVE_BUFFERS.decrementAndGet();
        if (BlockCache.ENABLED) {
            stream.cache().put(capacity, ptr);
            return;
        }
        stream.context().bind();
        CudaCheck.check(JCudaDriver.cuMemFreeAsync(ptr, stream.jcuda()), "cuMemFreeAsync");
    }
}
