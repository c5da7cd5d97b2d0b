package io.vq4j.ops;

/**
 * Stride, padding and (for transposed convolutions) output padding of a 2-D convolution, per
 * spatial axis, with PyTorch's meaning (dilation 1, groups 1).
 * {@link #of(int, int)} and {@link #transposed(int, int, int)} make the usual square ones.
 */
public record Conv2dSpec(int strideH, int strideW, int padH, int padW, int outPadH, int outPadW) {

    public Conv2dSpec {
        if (strideH < 1 || strideW < 1) {
            throw new IllegalArgumentException("stride must be >= 1, got (" + strideH + ", " + strideW + ")");
        }
        if (padH < 0 || padW < 0) {
            throw new IllegalArgumentException("padding must be >= 0, got (" + padH + ", " + padW + ")");
        }
        if (outPadH < 0 || outPadW < 0) {
            throw new IllegalArgumentException("outputPadding must be >= 0, got (" + outPadH + ", " + outPadW + ")");
        }
        if (outPadH >= strideH || outPadW >= strideW) {
            // PyTorch's rule: the extra rows/columns must be fewer than the stride, else they'd
            // be positions no input pixel maps to.
            throw new IllegalArgumentException("outputPadding (" + outPadH + ", " + outPadW
                    + ") must be smaller than stride (" + strideH + ", " + strideW + ")");
        }
    }

    /** A convolution with the same stride and padding on both axes. */
    public static Conv2dSpec of(int stride, int padding) {
        return new Conv2dSpec(stride, stride, padding, padding, 0, 0);
    }

    /** A transposed convolution with the same stride, padding and output padding on both axes. */
    public static Conv2dSpec transposed(int stride, int padding, int outputPadding) {
        return new Conv2dSpec(stride, stride, padding, padding, outputPadding, outputPadding);
    }

    /** Output height of a convolution: {@code floor((h + 2*padH - kernelH) / strideH) + 1}. */
    public long convOutH(int h, int kernelH) { return Math.floorDiv((long) h + 2L * padH - kernelH, strideH) + 1; }

    /** Output width of a convolution. */
    public long convOutW(int w, int kernelW) { return Math.floorDiv((long) w + 2L * padW - kernelW, strideW) + 1; }

    /** Output height of a transposed convolution: {@code (h - 1)*strideH - 2*padH + kernelH + outPadH}. */
    public long transposedOutH(int h, int kernelH) { return ((long) h - 1) * strideH - 2L * padH + kernelH + outPadH; }

    /** Output width of a transposed convolution. */
    public long transposedOutW(int w, int kernelW) { return ((long) w - 1) * strideW - 2L * padW + kernelW + outPadW; }

    @Override
    public String toString() {
        return "stride (" + strideH + ", " + strideW + "), padding (" + padH + ", " + padW + ")"
                + (outPadH != 0 || outPadW != 0 ? ", outputPadding (" + outPadH + ", " + outPadW + ")" : "");
    }
}
