package io.vq4j.model;

import io.vq4j.ops.Tensor;

/** A VAE encoder's output: mean and log-variance of the latent Gaussian (same shapes). Caller-owned. */
public record Posterior(Tensor mu, Tensor logvar) implements AutoCloseable {
    @Override
    public void close() {
        mu.close();
        logvar.close();
    }
}
