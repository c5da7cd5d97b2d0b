package io.vq4j.ops;

/**
 * The running statistics of an EMA codebook (the reference VQ-VAE's VectorQuantizerEMA):
 * {@code clusterSize} F32 {@code [K]} (N_k) and {@code embedSum} F32 {@code [K, D]} (m_k, "ema_w").
 * Updated in place by {@link Ops#emaUpdate}; owned by the caller.
 */
public record EmaState(Tensor clusterSize, Tensor embedSum) implements AutoCloseable {
    @Override
    public void close() {
        clusterSize.close();
        embedSum.close();
    }
}
