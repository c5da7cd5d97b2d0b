package io.vq4j.ops.cpu;

/**
 * im2col and its adjoint col2im for one image, the bridge from convolution to GEMM.
 *
 * <p>The image is {@code [channels, height, width]}; the kernel {@code kh x kw} slides over it with
 * stride and zero padding, stopping at {@code outH x outW} positions. Column matrix row
 * {@code r = (c*kh + ki)*kw + kj}, column {@code q = oh*outW + ow} holds image pixel
 * {@code (c, oh*strideH - padH + ki, ow*strideW - padW + kj)}, or 0 where that falls in the padding.
 * Rows are {@code ldc} floats apart so that several images can sit side by side in one matrix.
 *
 * <p>For a convolution the image is its input and (outH, outW) its output size; for a transposed
 * convolution the image is its output and (outH, outW) its input size.
 */
public final class Im2col {
    private Im2col() {}

    /** The sliding-window geometry. */
    public record Geometry(int channels, int height, int width, int kh, int kw,
                           int strideH, int strideW, int padH, int padW, int outH, int outW) {
        /** Rows of the column matrix: channels * kh * kw. */
        public long rows() { return (long) channels * kh * kw; }

        /** Columns per image: outH * outW. */
        public long cols() { return (long) outH * outW; }

        /** Floats in one image. */
        public long imageSize() { return (long) channels * height * width; }
    }

    /** cols[colOff + r*ldc + q] = the pixel of window position q under kernel tap r (see above). */
    public static void im2col(Geometry g, float[] img, int imgOff, float[] cols, int colOff, int ldc) {
        int h = g.height, w = g.width, outH = g.outH, outW = g.outW, sw = g.strideW;
        for (int c = 0; c < g.channels; c++) {
            for (int ki = 0; ki < g.kh; ki++) {
                for (int kj = 0; kj < g.kw; kj++) {
                    int row = colOff + ((c * g.kh + ki) * g.kw + kj) * ldc;
                    int shift = kj - g.padW;
                    // window positions ow whose pixel column ow*sw + shift lies in [0, w)
                    int lo = Math.max(0, Math.ceilDiv(-shift, sw));
                    int hi = Math.min(outW, Math.floorDiv(w - 1 - shift, sw) + 1);
                    for (int oh = 0; oh < outH; oh++) {
                        int ih = oh * g.strideH - g.padH + ki;
                        int d = row + oh * outW;
                        if (ih < 0 || ih >= h || lo >= hi) {
                            java.util.Arrays.fill(cols, d, d + outW, 0f);
                            continue;
                        }
                        java.util.Arrays.fill(cols, d, d + lo, 0f);
                        int src = imgOff + (c * h + ih) * w + shift;
                        if (sw == 1) {
                            System.arraycopy(img, src + lo, cols, d + lo, hi - lo);
                        } else {
                            for (int ow = lo; ow < hi; ow++) cols[d + ow] = img[src + ow * sw];
                        }
                        java.util.Arrays.fill(cols, d + hi, d + outW, 0f);
                    }
                }
            }
        }
    }

    /**
     * The adjoint: img[pixel] += cols[...] for every (tap, window position) that reads that pixel.
     * Accumulates: clear img first for a plain col2im.
     */
    public static void col2im(Geometry g, float[] cols, int colOff, int ldc, float[] img, int imgOff) {
        int h = g.height, w = g.width, outH = g.outH, outW = g.outW, sw = g.strideW;
        for (int c = 0; c < g.channels; c++) {
            for (int ki = 0; ki < g.kh; ki++) {
                for (int kj = 0; kj < g.kw; kj++) {
                    int row = colOff + ((c * g.kh + ki) * g.kw + kj) * ldc;
                    int shift = kj - g.padW;
                    int lo = Math.max(0, Math.ceilDiv(-shift, sw));
                    int hi = Math.min(outW, Math.floorDiv(w - 1 - shift, sw) + 1);
                    if (lo >= hi) continue;
                    for (int oh = 0; oh < outH; oh++) {
                        int ih = oh * g.strideH - g.padH + ki;
                        if (ih < 0 || ih >= h) continue;
                        int d = row + oh * outW;
                        int dst = imgOff + (c * h + ih) * w + shift;
                        for (int ow = lo; ow < hi; ow++) img[dst + ow * sw] += cols[d + ow];
                    }
                }
            }
        }
    }
}
