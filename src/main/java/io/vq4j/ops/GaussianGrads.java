package io.vq4j.ops;

/** Gradients for the mean and the log-variance of a diagonal Gaussian (each mu's shape). */
public record GaussianGrads(Tensor dMu, Tensor dLogvar) implements AutoCloseable {
    @Override
    public void close() {
        dMu.close();
        dLogvar.close();
    }
}
