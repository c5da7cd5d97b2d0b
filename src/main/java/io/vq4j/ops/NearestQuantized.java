package io.vq4j.ops;

/**
 * Result of {@link Ops#nearestQuantize}: the nearest codebook row per vector (int32, shape
 * {@code [N]} or {@code [B, H, W]}, as {@link NearestCode#indices()}) and {@code zq = e[idx]} in
 * z's layout (float32, z's shape).
 */
public record NearestQuantized(Tensor indices, Tensor zq) implements AutoCloseable {
    @Override
    public void close() {
        try {
            indices.close();
        } finally {
            zq.close();
        }
    }
}
