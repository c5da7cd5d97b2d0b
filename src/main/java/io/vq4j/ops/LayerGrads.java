package io.vq4j.ops;

/**
 * Gradients of a layer with an input, a weight and an optional bias (convolution, transposed
 * convolution, linear; batch norm's gamma and beta are its weight and bias): each has its
 * tensor's shape. {@code dBias} is null when the layer has no bias.
 */
public record LayerGrads(Tensor dInput, Tensor dWeight, Tensor dBias) implements AutoCloseable {
    @Override
    public void close() {
        dInput.close();
        dWeight.close();
        if (dBias != null) dBias.close();
    }
}
