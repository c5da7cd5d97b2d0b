package io.vq4j.data;

/**
 * Separable image resizing for the loaders: bilinear with half-pixel centres (PyTorch's
 * align_corners=False, PIL's bilinear when enlarging), and area averaging along an axis that
 * shrinks by more than 2x, where two bilinear taps would skip source pixels and alias.
 * Package-private on purpose: io.vq4j.io owns the library's image tools; this is only what the
 * datasets need.
 */
final class Resample {
    private Resample() {}

    /**
     * The taps of one axis: output o reads {@code count[o]} source pixels starting at
     * {@code first[o]}, with weights {@code weight[o * stride .. + count[o])} summing to 1.
     */
    record Axis(int src, int dst, int[] first, int[] count, float[] weight, int stride) {}

    /** Taps mapping {@code src} pixels onto {@code dst}: area average when src > 2 dst, bilinear otherwise. */
    static Axis axis(int src, int dst) {
        if (src < 1 || dst < 1) throw new IllegalArgumentException("sizes must be >= 1, got " + src + " -> " + dst);
        double scale = (double) src / dst;
        int[] first = new int[dst], count = new int[dst];
        if (scale > 2) {
            // each output covers [o*scale, (o+1)*scale) of the source: at most ceil(scale)+1 pixels
            int stride = (int) Math.ceil(scale) + 1;
            float[] w = new float[dst * stride];
            for (int o = 0; o < dst; o++) {
                double lo = o * scale, hi = Math.min(src, (o + 1) * scale);
                int i0 = (int) Math.floor(lo), i1 = Math.min(src, (int) Math.ceil(hi));
                first[o] = i0;
                count[o] = i1 - i0;
                for (int i = i0; i < i1; i++) {
                    double overlap = Math.min(hi, i + 1) - Math.max(lo, i);
                    w[o * stride + i - i0] = (float) (overlap / (hi - lo));
                }
            }
            return new Axis(src, dst, first, count, w, stride);
        }
        float[] w = new float[dst * 2];
        for (int o = 0; o < dst; o++) {
            double s = Math.min(src - 1, Math.max(0, (o + 0.5) * scale - 0.5));
            int i0 = (int) Math.floor(s);
            double f = s - i0;
            first[o] = i0;
            if (f == 0 || i0 + 1 >= src) {
                count[o] = 1;
                w[2 * o] = 1f;
            } else {
                count[o] = 2;
                w[2 * o] = (float) (1 - f);
                w[2 * o + 1] = (float) f;
            }
        }
        return new Axis(src, dst, first, count, w, 2);
    }

    /**
     * Resizes {@code channels} planes of sh x sw at src[srcOff] into dh x dw at dst[dstOff], with
     * the taps of {@code ay} (sh -> dh) and {@code ax} (sw -> dw): rows first, then columns.
     */
    static void resize(float[] src, int srcOff, int channels, float[] dst, int dstOff, Axis ay, Axis ax) {
        int sh = ay.src(), sw = ax.src(), dh = ay.dst(), dw = ax.dst();
        float[] rows = new float[sh * dw];
        for (int c = 0; c < channels; c++) {
            int sPlane = srcOff + c * sh * sw, dPlane = dstOff + c * dh * dw;
            for (int y = 0; y < sh; y++) {
                int sRow = sPlane + y * sw;
                for (int x = 0; x < dw; x++) {
                    int f = ax.first()[x], n = ax.count()[x], wOff = x * ax.stride();
                    float acc = 0f;
                    for (int k = 0; k < n; k++) acc += ax.weight()[wOff + k] * src[sRow + f + k];
                    rows[y * dw + x] = acc;
                }
            }
            for (int y = 0; y < dh; y++) {
                int dRow = dPlane + y * dw;
                int f = ay.first()[y], n = ay.count()[y], wOff = y * ay.stride();
                for (int x = 0; x < dw; x++) dst[dRow + x] = 0f;
                for (int k = 0; k < n; k++) {
                    // axpy over a whole output row: contiguous, so C2 vectorises it
                    float wk = ay.weight()[wOff + k];
                    int sRow = (f + k) * dw;
                    for (int x = 0; x < dw; x++) dst[dRow + x] += wk * rows[sRow + x];
                }
            }
        }
    }
}
