package io.vq4j.model.codec;

import java.time.Duration;

/**
 * How a {@link VqCodec} runs: where, and how it batches.
 *
 * @param backend        "auto" (CUDA when available, else CPU), "cpu" or "cuda"
 * @param maxBatch       the most requests one model call takes
 * @param maxDelay       how long the worker waits for a batch to fill, counted from the arrival
 *                       of its oldest request (0: run whatever is queued at once); at most 1 minute
 * @param queueCapacity  requests that may wait at once (both kinds together)
 * @param whenFull       what a caller meets when the queue is full
 * @param keepPoolMemory on CUDA, set the device's memory pool to keep freed memory
 *                       ({@link io.vq4j.cuda.MemoryPool#keepMemory}), so steady-state calls
 *                       allocate from the pool, never from the OS; process-wide, per device
 */
public record CodecOptions(String backend, int maxBatch, Duration maxDelay, int queueCapacity, WhenFull whenFull,
                           boolean keepPoolMemory) {
    /** What submitting to a full queue does. */
    public enum WhenFull {
        /** The caller waits for room (interruptibly). */
        BLOCK,
        /** The call throws {@link java.util.concurrent.RejectedExecutionException} at once. */
        REJECT
    }

    static final Duration MAX_DELAY = Duration.ofMinutes(1);

    public CodecOptions {
        if (backend == null) throw new IllegalArgumentException("backend must not be null");
        if (maxBatch < 1) throw new IllegalArgumentException("maxBatch must be >= 1, got " + maxBatch);
        if (maxDelay == null || maxDelay.isNegative() || maxDelay.compareTo(MAX_DELAY) > 0) {
            throw new IllegalArgumentException("maxDelay must be in [0, " + MAX_DELAY + "], got " + maxDelay);
        }
        if (queueCapacity < 1) throw new IllegalArgumentException("queueCapacity must be >= 1, got " + queueCapacity);
        if (whenFull == null) throw new IllegalArgumentException("whenFull must not be null");
    }

    /** backend "auto", maxBatch 64, maxDelay 2 ms, queueCapacity 1024, BLOCK, keepPoolMemory. */
    public static CodecOptions defaults() {
        return new CodecOptions("auto", 64, Duration.ofMillis(2), 1024, WhenFull.BLOCK, true);
    }

    public CodecOptions withBackend(String b) { return new CodecOptions(b, maxBatch, maxDelay, queueCapacity, whenFull, keepPoolMemory); }

    public CodecOptions withMaxBatch(int n) { return new CodecOptions(backend, n, maxDelay, queueCapacity, whenFull, keepPoolMemory); }

    public CodecOptions withMaxDelay(Duration d) { return new CodecOptions(backend, maxBatch, d, queueCapacity, whenFull, keepPoolMemory); }

    public CodecOptions withQueueCapacity(int n) { return new CodecOptions(backend, maxBatch, maxDelay, n, whenFull, keepPoolMemory); }

    public CodecOptions withWhenFull(WhenFull w) { return new CodecOptions(backend, maxBatch, maxDelay, queueCapacity, w, keepPoolMemory); }

    public CodecOptions withKeepPoolMemory(boolean k) { return new CodecOptions(backend, maxBatch, maxDelay, queueCapacity, whenFull, k); }
}
