package io.vq4j.ops;

/**
 * Result of {@link Ops#nearestCode}: for each vector of z, the index of the nearest codebook row
 * (int32, shape {@code [N]} for z {@code [N, D]} or {@code [B, H, W]} for z {@code [B, D, H, W]}),
 * and optionally the squared Euclidean distance to it (float32, same shape; null when not asked).
 */
public record NearestCode(Tensor indices, Tensor distances) implements AutoCloseable {
    @Override
    public void close() {
        indices.close();
        if (distances != null) distances.close();
    }
}
