package io.vq4j.ops;

/**
 * Result of {@link Ops#vqBackward}: the gradient for z (z's shape), the gradient for the codebook
 * ({@code [K, D]}), and per-code counts of assigned vectors ({@code I32 [K]}).
 */
public record VqGrads(Tensor gradZ, Tensor gradCodebook, Tensor counts) implements AutoCloseable {
    @Override
    public void close() {
        gradZ.close();
        gradCodebook.close();
        counts.close();
    }
}
