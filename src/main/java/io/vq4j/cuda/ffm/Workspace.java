package io.vq4j.cuda.ffm;

import io.vq4j.cuda.CudaStream;
import io.vq4j.cuda.DeviceBuffer;

import java.lang.foreign.MemorySegment;

/**
 * The scratch memory a {@link CudnnHandle} lends to cuDNN calls: one device buffer, grown when a
 * call needs more and otherwise reused, never reallocated per call. Growing frees the old buffer
 * and allocates the new one on the handle's stream (stream-ordered), so calls already queued on
 * that stream finish with the old memory first. Not thread-safe: its handle serialises calls.
 */
final class Workspace implements AutoCloseable {
    /** Sizes are rounded up to whole MiB, so a run of slightly larger requests grows it once. */
    private static final long GRANULE = 1L << 20;

    private final CudaStream stream;
    private DeviceBuffer buffer; // null until something needs workspace

    Workspace(CudaStream stream) {
        this.stream = stream;
    }

    /** A device pointer to at least {@code bytes} bytes (NULL while none was ever needed). */
    MemorySegment ensure(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("workspace bytes must be >= 0, got " + bytes);
        if (bytes > 0 && (buffer == null || buffer.bytes() < bytes)) {
            DeviceBuffer old = buffer;
            buffer = null; // if the new allocation fails, we hold nothing rather than a freed buffer
            if (old != null) old.close();
            buffer = new DeviceBuffer(stream, roundUp(bytes));
        }
        return buffer == null ? MemorySegment.NULL : MemorySegment.ofAddress(buffer.address());
    }

    /** Bytes currently held (what calls may be told they have). */
    long bytes() {
        return buffer == null ? 0 : buffer.bytes();
    }

    static long roundUp(long bytes) {
        return (bytes + GRANULE - 1) / GRANULE * GRANULE;
    }

    @Override
    public void close() {
        DeviceBuffer b = buffer;
        buffer = null;
        if (b != null) b.close();
    }
}
