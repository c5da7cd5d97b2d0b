package io.vq4j.cuda.ffm;

/**
 * The four dimensions of a cuDNN 4-d descriptor: (n, c, h, w) for a tensor, (k, c, r, s) for a
 * filter (output channels, input channels, filter height, filter width). Packed NCHW (row-major:
 * w fastest), the layout of vq4j's tensors.
 */
public record Dims4(int n, int c, int h, int w) {

    /** Number of elements, in 64 bits. */
    public long elements() {
        return (long) n * c * h * w;
    }

    /** The legacy cuDNN API keeps 4-d strides in 32-bit ints: every dimension >= 1, at most 2^31 - 1 elements. */
    static Dims4 checked(String what, int n, int c, int h, int w) {
        Dims4 d = new Dims4(n, c, h, w);
        if (n < 1 || c < 1 || h < 1 || w < 1) {
            throw new IllegalArgumentException(what + ": every dimension must be >= 1, got " + d);
        }
        if (d.elements() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + ": " + d + " has " + d.elements()
                    + " elements; cuDNN's 4-d descriptors hold at most " + Integer.MAX_VALUE);
        }
        return d;
    }

    @Override
    public String toString() {
        return n + "x" + c + "x" + h + "x" + w;
    }
}
