package io.vq4j.ops;

/**
 * Result of {@link Ops#quantize}: {@code zq = e[idx]} and the straight-through output
 * {@code st = z + (zq - z)} (both in z's layout), and the two loss terms as a device-resident
 * (or host) F32 tensor {@code losses = [codebookLoss, commitmentLoss]}, where
 * {@code codebookLoss = mean((sg[z] - zq)^2)} and {@code commitmentLoss = mean((z - sg[zq])^2)}
 * (equal in value; their gradients go to different places).
 */
public record Quantized(Tensor zq, Tensor straightThrough, Tensor losses) implements AutoCloseable {
    /** Reads the codebook loss (synchronizes with the device). */
    public double codebookLoss() { return losses.toFloatArray()[0]; }

    /** Reads the commitment loss (synchronizes with the device). */
    public double commitmentLoss() { return losses.toFloatArray()[1]; }

    @Override
    public void close() {
        zq.close();
        straightThrough.close();
        losses.close();
    }
}
