package io.vq4j.ops;

/**
 * The checked geometry of one (transposed) convolution, worked out once by {@link CheckedLayerOps}
 * and handed to the backend: input x is {@code [batch, inChannels, inH, inW]}, output y is
 * {@code [batch, outChannels, outH, outW]}, the kernel is {@code kernelH x kernelW}. For a
 * convolution the weight is {@code [outChannels, inChannels, kH, kW]}; for a transposed one
 * {@code [inChannels, outChannels, kH, kW]} (PyTorch's layouts).
 */
public record ConvShape(int batch, int inChannels, int inH, int inW, int outChannels, int outH, int outW,
                        int kernelH, int kernelW, Conv2dSpec spec) {

    public int[] inputShape() { return new int[] {batch, inChannels, inH, inW}; }

    public int[] outputShape() { return new int[] {batch, outChannels, outH, outW}; }
}
