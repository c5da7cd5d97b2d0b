package io.vq4j.ops;

/**
 * Result of {@link LayerOps#batchNorm2dTrain}: the normalised output y (x's shape) and, F32
 * {@code [C]}, the batch mean and {@code 1/sqrt(biased batch variance + eps)} that
 * {@link LayerOps#batchNorm2dBackward} needs (PyTorch's and cuDNN's save_mean / save_invstd).
 */
public record BatchNormOut(Tensor y, Tensor saveMean, Tensor saveInvstd) implements AutoCloseable {
    @Override
    public void close() {
        y.close();
        saveMean.close();
        saveInvstd.close();
    }
}
