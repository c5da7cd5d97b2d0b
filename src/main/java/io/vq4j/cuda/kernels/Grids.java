package io.vq4j.cuda.kernels;

/** Grid sizing shared by the launchers. */
public final class Grids {
    private Grids() {}

    /**
     * Blocks for a grid-stride loop over {@code work} items with {@code threads} per block: enough
     * to cover the work, capped at {@code wavesPerSm} waves of {@code sms} multiprocessors
     * (more blocks than that only add scheduling overhead; the stride loop covers the rest).
     */
    public static long gridStride(long work, int threads, int sms, int wavesPerSm) {
        long needed = Math.max(1, (work + threads - 1) / threads);
        return Math.min(needed, (long) sms * wavesPerSm);
    }
}
