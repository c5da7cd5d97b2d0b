package io.vq4j.io;

import io.vq4j.ops.cpu.Parallel;

/**
 * Resizes CHW float images, one axis at a time. Per axis: bilinear with half-pixel centres
 * (PyTorch's align_corners=False, edge-clamped) when enlarging, and exact area averaging (each
 * output pixel is the mean of the input it covers, fractional edges weighted) when shrinking,
 * which does not alias the way bilinear sampling does at large factors. Both are normalised
 * linear filters: constant images stay constant and values stay in the input's range.
 */
final class Resize {
    private Resize() {}

    /** For each output index o: input taps start[o], start[o] + 1, ... with weights w[o][0], w[o][1], ... */
    private record Axis(int[] start, float[][] w) {}

    static float[] chw(float[] src, int c, int h, int w, int oh, int ow) {
        if (oh == h && ow == w) return src.clone();
        Axis ax = axis(w, ow), ay = axis(h, oh);
        // Horizontal pass: [c*h, w] -> [c*h, ow].
        float[] tmp = new float[c * h * ow];
        Parallel.forRange(c * h, 64, (from, to) -> {
            for (int row = from; row < to; row++) {
                int s = row * w, d = row * ow;
                for (int o = 0; o < ow; o++) {
                    float[] wt = ax.w()[o];
                    int base = s + ax.start()[o];
                    float acc = 0f;
                    for (int k = 0; k < wt.length; k++) acc += wt[k] * src[base + k];
                    tmp[d + o] = acc;
                }
            }
        });
        // Vertical pass: whole rows scaled and added (axpy over ow contiguous floats: vectorises).
        float[] out = new float[c * oh * ow];
        Parallel.forRange(c * oh, 16, (from, to) -> {
            for (int r = from; r < to; r++) {
                int ch = r / oh, o = r % oh;
                float[] wt = ay.w()[o];
                int d = r * ow;
                for (int k = 0; k < wt.length; k++) {
                    int s = (ch * h + ay.start()[o] + k) * ow;
                    float a = wt[k];
                    for (int x = 0; x < ow; x++) out[d + x] += a * tmp[s + x];
                }
            }
        });
        return out;
    }

    private static Axis axis(int in, int out) {
        int[] start = new int[out];
        float[][] w = new float[out][];
        double scale = (double) in / out;
        for (int o = 0; o < out; o++) {
            if (out < in) { // area: output o covers input [o*scale, (o+1)*scale)
                double lo = o * scale, hi = Math.min(in, (o + 1) * scale);
                int first = (int) Math.floor(lo), last = Math.min(in - 1, (int) Math.ceil(hi) - 1);
                start[o] = first;
                w[o] = new float[last - first + 1];
                for (int i = first; i <= last; i++) {
                    double overlap = Math.min(hi, i + 1) - Math.max(lo, i);
                    w[o][i - first] = (float) (Math.max(0, overlap) / (hi - lo));
                }
            } else { // bilinear between the two nearest input centres
                double x = Math.max(0, (o + 0.5) * scale - 0.5);
                int i0 = Math.min((int) x, in - 1);
                int i1 = Math.min(i0 + 1, in - 1);
                double f = x - i0;
                start[o] = i0;
                w[o] = i1 == i0 ? new float[] {1f} : new float[] {(float) (1 - f), (float) f};
            }
        }
        return new Axis(start, w);
    }
}
