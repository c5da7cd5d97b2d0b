package io.vq4j.cuda;

import jcuda.Pointer;
import jcuda.driver.JCudaDriver;

import java.nio.ByteOrder;

/**
 * Host-to-device copies that do not wait for the stream: the data is staged in page-locked host
 * memory (one buffer, grown to the largest upload) and copied with {@code cuMemcpyHtoDAsync}, in
 * order with the work queued on the stream. {@link DeviceBuffer#copyFrom} instead synchronizes the
 * stream first (a pageable copy), which in a training loop makes every step wait for the previous
 * one before the host can queue the next.
 *
 * <p>Before the staging memory is overwritten, the previous copy must have read it: an event
 * recorded after each copy is waited for. That copy was queued ahead of the previous step's
 * kernels, so in a training loop the wait is over long before it is asked for. Not thread-safe.
 * Close it to free the page-locked memory (after waiting for the last copy).
 */
public final class PinnedUpload implements AutoCloseable {
    private final CudaStream stream;
    private final CudaEvent copied;
    private Pointer host;
    private java.nio.FloatBuffer view;
    private long capacity;
    private boolean pending, closed;

    public PinnedUpload(CudaStream stream) {
        if (stream == null) throw new IllegalArgumentException("stream must not be null");
        this.stream = stream;
        this.copied = new CudaEvent(stream.context());
    }

    /**
     * Queues a copy of {@code src[0, count)} to bytes {@code [0, 4 count)} of {@code dst}. Returns once
     * {@code src} has been staged ({@code src} may be reused at once), without waiting for the stream.
     */
    public void upload(float[] src, int count, DeviceBuffer dst) {
        if (closed) throw new IllegalStateException("PinnedUpload is closed");
        if (src == null || dst == null) throw new IllegalArgumentException("src and dst must not be null");
        if (count < 0 || count > src.length) {
            throw new IllegalArgumentException("count " + count + " outside src of length " + src.length);
        }
        long bytes = 4L * count;
        if (bytes > dst.bytes()) {
            throw new IllegalArgumentException("dst holds " + dst.bytes() + " bytes, the upload needs " + bytes);
        }
        if (count == 0) return;
        stream.context().bind();
        if (pending) copied.synchronize(); // the staging memory is free again
        pending = false;
        ensureCapacity(bytes);
        view.clear();
        view.put(src, 0, count);
        CudaCheck.check(JCudaDriver.cuMemcpyHtoDAsync(dst.pointer(), host, bytes, stream.jcuda()),
                () -> "cuMemcpyHtoDAsync(" + bytes + " bytes)");
        copied.record(stream);
        pending = true;
    }

    private void ensureCapacity(long bytes) {
        if (bytes <= capacity) return;
        freeHost();
        Pointer p = new Pointer();
        CudaCheck.check(JCudaDriver.cuMemAllocHost(p, bytes), () -> "cuMemAllocHost(" + bytes + " bytes)");
        host = p;
        capacity = bytes;
        view = p.getByteBuffer(0, bytes).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private void freeHost() {
        if (host == null) return;
        Pointer p = host;
        host = null;
        view = null;
        capacity = 0;
        CudaCheck.check(JCudaDriver.cuMemFreeHost(p), "cuMemFreeHost");
    }

    /** Bytes of page-locked memory held now. */
    public long capacityBytes() { return capacity; }

    /** Waits for the last copy, frees the page-locked memory and the event; idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        stream.context().bind();
        try {
            if (pending) copied.synchronize();
            pending = false;
            freeHost();
        } finally {
            copied.close();
        }
    }
}
