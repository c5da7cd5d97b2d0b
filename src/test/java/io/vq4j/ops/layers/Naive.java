package io.vq4j.ops.layers;

import io.vq4j.ops.Conv2dSpec;

import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * Plain double-precision references for the layer tests, written straight from PyTorch's
 * definitions with direct loops (no im2col, no GEMM, nothing shared with the code under test),
 * plus a finite-difference gradient checker.
 */
final class Naive {
    private Naive() {}

    // ---- convolution ----------------------------------------------------------------------

    /** y[n,o,oh,ow] = b[o] + sum_{c,i,j} w[o,c,i,j] * x[n,c,oh*sh-ph+i, ow*sw-pw+j] (zero outside). */
    static double[] conv2d(double[] x, double[] w, double[] b, int n, int c, int h, int wd, int o, int kh, int kw,
                           Conv2dSpec s) {
        int oh = (h + 2 * s.padH() - kh) / s.strideH() + 1, ow = (wd + 2 * s.padW() - kw) / s.strideW() + 1;
        double[] y = new double[n * o * oh * ow];
        for (int in = 0; in < n; in++)
            for (int oc = 0; oc < o; oc++)
                for (int yi = 0; yi < oh; yi++)
                    for (int yj = 0; yj < ow; yj++) {
                        double acc = b == null ? 0 : b[oc];
                        for (int ic = 0; ic < c; ic++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++) {
                                    int xi = yi * s.strideH() - s.padH() + i, xj = yj * s.strideW() - s.padW() + j;
                                    if (xi < 0 || xi >= h || xj < 0 || xj >= wd) continue;
                                    acc += w[((oc * c + ic) * kh + i) * kw + j] * x[((in * c + ic) * h + xi) * wd + xj];
                                }
                        y[((in * o + oc) * oh + yi) * ow + yj] = acc;
                    }
        return y;
    }

    /** {dx, dw, db} of sum(dy * conv2d(x, w, b)), by the chain rule written out per output element. */
    static double[][] conv2dBackward(double[] dy, double[] x, double[] w, int n, int c, int h, int wd, int o,
                                     int kh, int kw, Conv2dSpec s) {
        int oh = (h + 2 * s.padH() - kh) / s.strideH() + 1, ow = (wd + 2 * s.padW() - kw) / s.strideW() + 1;
        double[] dx = new double[x.length], dw = new double[w.length], db = new double[o];
        for (int in = 0; in < n; in++)
            for (int oc = 0; oc < o; oc++)
                for (int yi = 0; yi < oh; yi++)
                    for (int yj = 0; yj < ow; yj++) {
                        double g = dy[((in * o + oc) * oh + yi) * ow + yj];
                        db[oc] += g;
                        for (int ic = 0; ic < c; ic++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++) {
                                    int xi = yi * s.strideH() - s.padH() + i, xj = yj * s.strideW() - s.padW() + j;
                                    if (xi < 0 || xi >= h || xj < 0 || xj >= wd) continue;
                                    int wIdx = ((oc * c + ic) * kh + i) * kw + j, xIdx = ((in * c + ic) * h + xi) * wd + xj;
                                    dx[xIdx] += w[wIdx] * g;
                                    dw[wIdx] += x[xIdx] * g;
                                }
                    }
        return new double[][] {dx, dw, db};
    }

    /**
     * PyTorch's ConvTranspose2d, scattering each input pixel: y[n,o,h*sh-ph+i, w*sw-pw+j] +=
     * x[n,c,h,w] * w[c,o,i,j] (dropped outside the output), plus b[o].
     */
    static double[] convTranspose2d(double[] x, double[] w, double[] b, int n, int c, int h, int wd, int o,
                                    int kh, int kw, Conv2dSpec s) {
        int oh = (h - 1) * s.strideH() - 2 * s.padH() + kh + s.outPadH();
        int ow = (wd - 1) * s.strideW() - 2 * s.padW() + kw + s.outPadW();
        double[] y = new double[n * o * oh * ow];
        for (int in = 0; in < n; in++) {
            for (int oc = 0; oc < o; oc++) {
                for (int q = 0; q < oh * ow; q++) y[(in * o + oc) * oh * ow + q] = b == null ? 0 : b[oc];
            }
            for (int ic = 0; ic < c; ic++)
                for (int xi = 0; xi < h; xi++)
                    for (int xj = 0; xj < wd; xj++) {
                        double v = x[((in * c + ic) * h + xi) * wd + xj];
                        for (int oc = 0; oc < o; oc++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++) {
                                    int yi = xi * s.strideH() - s.padH() + i, yj = xj * s.strideW() - s.padW() + j;
                                    if (yi < 0 || yi >= oh || yj < 0 || yj >= ow) continue;
                                    y[((in * o + oc) * oh + yi) * ow + yj] += v * w[((ic * o + oc) * kh + i) * kw + j];
                                }
                    }
        }
        return y;
    }

    /** {dx, dw, db} of sum(dy * convTranspose2d(x, w, b)). */
    static double[][] convTranspose2dBackward(double[] dy, double[] x, double[] w, int n, int c, int h, int wd, int o,
                                              int kh, int kw, Conv2dSpec s) {
        int oh = (h - 1) * s.strideH() - 2 * s.padH() + kh + s.outPadH();
        int ow = (wd - 1) * s.strideW() - 2 * s.padW() + kw + s.outPadW();
        double[] dx = new double[x.length], dw = new double[w.length], db = new double[o];
        for (int in = 0; in < n; in++) {
            for (int oc = 0; oc < o; oc++) {
                for (int q = 0; q < oh * ow; q++) db[oc] += dy[(in * o + oc) * oh * ow + q];
            }
            for (int ic = 0; ic < c; ic++)
                for (int xi = 0; xi < h; xi++)
                    for (int xj = 0; xj < wd; xj++) {
                        int xIdx = ((in * c + ic) * h + xi) * wd + xj;
                        for (int oc = 0; oc < o; oc++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++) {
                                    int yi = xi * s.strideH() - s.padH() + i, yj = xj * s.strideW() - s.padW() + j;
                                    if (yi < 0 || yi >= oh || yj < 0 || yj >= ow) continue;
                                    double g = dy[((in * o + oc) * oh + yi) * ow + yj];
                                    int wIdx = ((ic * o + oc) * kh + i) * kw + j;
                                    dx[xIdx] += w[wIdx] * g;
                                    dw[wIdx] += x[xIdx] * g;
                                }
                    }
        }
        return new double[][] {dx, dw, db};
    }

    // ---- linear ---------------------------------------------------------------------------

    /** y[i, o] = b[o] + sum_k x[i, k] * w[o, k]. */
    static double[] linear(double[] x, double[] w, double[] b, int n, int in, int out) {
        double[] y = new double[n * out];
        for (int i = 0; i < n; i++)
            for (int o = 0; o < out; o++) {
                double acc = b == null ? 0 : b[o];
                for (int k = 0; k < in; k++) acc += x[i * in + k] * w[o * in + k];
                y[i * out + o] = acc;
            }
        return y;
    }

    static double[][] linearBackward(double[] dy, double[] x, double[] w, int n, int in, int out) {
        double[] dx = new double[x.length], dw = new double[w.length], db = new double[out];
        for (int i = 0; i < n; i++)
            for (int o = 0; o < out; o++) {
                double g = dy[i * out + o];
                db[o] += g;
                for (int k = 0; k < in; k++) {
                    dx[i * in + k] += g * w[o * in + k];
                    dw[o * in + k] += g * x[i * in + k];
                }
            }
        return new double[][] {dx, dw, db};
    }

    // ---- batch norm -----------------------------------------------------------------------

    /** {mean, biased var} per channel of x [n, c, plane]. */
    static double[][] channelStats(double[] x, int n, int c, int plane) {
        double[] mean = new double[c], var = new double[c];
        int m = n * plane;
        for (int ch = 0; ch < c; ch++) {
            double s = 0;
            for (int i = 0; i < n; i++) for (int q = 0; q < plane; q++) s += x[(i * c + ch) * plane + q];
            mean[ch] = s / m;
            double ss = 0;
            for (int i = 0; i < n; i++)
                for (int q = 0; q < plane; q++) {
                    double d = x[(i * c + ch) * plane + q] - mean[ch];
                    ss += d * d;
                }
            var[ch] = ss / m;
        }
        return new double[][] {mean, var};
    }

    /** y = (x - mean) / sqrt(var + eps) * gamma + beta with the given per-channel statistics. */
    static double[] normalize(double[] x, double[] mean, double[] var, double[] gamma, double[] beta,
                              int n, int c, int plane, double eps) {
        double[] y = new double[x.length];
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
                for (int q = 0; q < plane; q++) {
                    int k = (i * c + ch) * plane + q;
                    y[k] = (x[k] - mean[ch]) / Math.sqrt(var[ch] + eps) * gamma[ch] + beta[ch];
                }
        return y;
    }

    /** Training-mode batch norm: normalised with the batch's own statistics. */
    static double[] batchNormTrain(double[] x, double[] gamma, double[] beta, int n, int c, int plane, double eps) {
        double[][] st = channelStats(x, n, c, plane);
        return normalize(x, st[0], st[1], gamma, beta, n, c, plane, eps);
    }

    // ---- finite differences ---------------------------------------------------------------

    /** sum_i g[i] * y[i]. */
    static double dot(double[] g, double[] y) {
        double s = 0;
        for (int i = 0; i < y.length; i++) s += g[i] * y[i];
        return s;
    }

    /**
     * Central differences of {@code loss} in parameter array {@code params[t]} at the given
     * coordinates: (loss(p + h e_i) - loss(p - h e_i)) / 2h, restoring the parameter after each.
     */
    static double[] finiteDifferences(ToDoubleFunction<double[][]> loss, double[][] params, int t, int[] coords, double h) {
        double[] out = new double[coords.length];
        double[] p = params[t];
        for (int k = 0; k < coords.length; k++) {
            int i = coords[k];
            double keep = p[i];
            p[i] = keep + h;
            double up = loss.applyAsDouble(params);
            p[i] = keep - h;
            double down = loss.applyAsDouble(params);
            p[i] = keep;
            out[k] = (up - down) / (2 * h);
        }
        return out;
    }

    /** All of [0, n) when n <= max, else max distinct random coordinates (always including 0 and n-1). */
    static int[] coords(int n, int max, long seed) {
        if (n <= max) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) all[i] = i;
            return all;
        }
        SplittableRandom r = new SplittableRandom(seed);
        int[] c = r.ints(0, n).distinct().limit(max).toArray();
        c[0] = 0;
        c[1] = n - 1;
        return c;
    }

    static double[] pick(float[] a, int[] coords) {
        double[] out = new double[coords.length];
        for (int k = 0; k < coords.length; k++) out[k] = a[coords[k]];
        return out;
    }

    static double[] pick(double[] a, int[] coords) {
        double[] out = new double[coords.length];
        for (int k = 0; k < coords.length; k++) out[k] = a[coords[k]];
        return out;
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    /** ||a - ref|| / ||ref||, as TestData.relError but for doubles on both sides. */
    static double relError(double[] a, double[] ref) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            if (Double.isNaN(a[i]) || Double.isNaN(ref[i])) return Double.POSITIVE_INFINITY;
            num += (a[i] - ref[i]) * (a[i] - ref[i]);
            den += ref[i] * ref[i];
        }
        return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
    }
}
