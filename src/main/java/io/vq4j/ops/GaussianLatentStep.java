package io.vq4j.ops;

/**
 * Result of {@link Ops#gaussianLatentForward}: the sample z (mu's shape) and the KL divergence,
 * shaped as {@link Ops#klDivergence}'s result for the reduction asked for.
 */
public record GaussianLatentStep(Tensor z, Tensor kl) implements AutoCloseable {
    @Override
    public void close() {
        try {
            z.close();
        } finally {
            kl.close();
        }
    }
}
