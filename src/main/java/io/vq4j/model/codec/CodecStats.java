package io.vq4j.model.codec;

/**
 * What a {@link VqCodec}'s worker has done so far.
 *
 * @param batches         model calls run (encode and decode, failed ones included)
 * @param requests        requests those calls carried
 * @param encodeBatches   of the batches, encode ones
 * @param decodeBatches   of the batches, decode ones
 * @param failedBatches   batches whose model call threw (their requests failed with the cause)
 * @param largestBatch    the most requests one call carried
 */
public record CodecStats(long batches, long requests, long encodeBatches, long decodeBatches, long failedBatches,
                         int largestBatch) {
    /** Requests per model call (0 before the first). */
    public double meanBatch() { return batches == 0 ? 0 : (double) requests / batches; }
}
