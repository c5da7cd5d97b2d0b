package io.vq4j.ops;

/** Result of {@link Ops#reparameterize}: z, and the noise eps when asked to store it (else null). */
public record Reparameterized(Tensor z, Tensor eps) implements AutoCloseable {
    @Override
    public void close() {
        z.close();
        if (eps != null) eps.close();
    }
}
