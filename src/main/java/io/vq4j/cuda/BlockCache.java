package io.vq4j.cuda;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * Free device blocks of one stream, kept by size class for the next {@link DeviceBuffer} of that
 * class on the same stream: PyTorch's caching-allocator idea, on top of the driver's pool.
 *
 * <p>Why: {@code cuMemAllocAsync} and {@code cuMemFreeAsync} cost driver time on the host and
 * work in the stream. Measured on an H100 (benchmarks/RESULTS.md, "launch overhead"), a
 * 131072-element reparameterize (one 4.3 us kernel) took 12.9 us per call back to back with an
 * allocation and a free around it. Reuse on the same stream is safe without any synchronisation:
 * every use of the block before its {@code close()} was queued on the stream before any use after.
 *
 * <p>Size classes keep the waste small: up to 1 MiB, multiples of 512 bytes; above, eighths of
 * the power of two below (at most 12.5% more than asked). Blocks go back to the driver's pool when
 * an allocation fails for lack of memory (then it is retried once), on {@link CudaStream#trimCache}
 * and when the stream closes. {@code -Dvq4j.cuda.cache=false} turns the cache off.
 */
final class BlockCache {
    static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("vq4j.cuda.cache", "true"));

    private final HashMap<Long, ArrayDeque<DevicePointer>> free = new HashMap<>();
    private long cachedBytes;

    /** The bytes actually allocated for a request of {@code bytes} (>= 1). */
    static long sizeClass(long bytes) {
        if (bytes <= 1L << 20) return (bytes + 511) & ~511L;
        long step = Long.highestOneBit(bytes) >>> 3;
        return (bytes + step - 1) / step * step;
    }

    /** A cached block of exactly {@code classBytes}, or null. */
    synchronized DevicePointer take(long classBytes) {
        ArrayDeque<DevicePointer> q = free.get(classBytes);
        DevicePointer p = q == null ? null : q.pollLast();
        if (p != null) cachedBytes -= classBytes;
        return p;
    }

    synchronized void put(long classBytes, DevicePointer p) {
        free.computeIfAbsent(classBytes, c -> new ArrayDeque<>()).addLast(p);
        cachedBytes += classBytes;
    }

    /** Removes and returns every cached block, for the caller to free. */
    synchronized List<DevicePointer> drain() {
        List<DevicePointer> all = new ArrayList<>();
        for (ArrayDeque<DevicePointer> q : free.values()) all.addAll(q);
        free.clear();
        cachedBytes = 0;
        return all;
    }

    synchronized long cachedBytes() { return cachedBytes; }
}
