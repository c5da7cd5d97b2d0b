package io.vq4j.bench;

/**
 * The direct seven-loop convolution (NCHW, zero padding, PyTorch's Conv2d semantics), single
 * thread: the baseline for vq4j's im2col + blocked GEMM conv2d.
 */
final class NaiveConv {
    private NaiveConv() {}

    /**
     * y {@code [b, o, ho, wo]} = conv2d(x {@code [b, c, h, w]}, weight {@code [o, c, kk, kk]}) + bias,
     * square kernel {@code kk}, stride and padding on both axes.
     */
    static float[] conv2d(float[] x, float[] weight, float[] bias, int b, int c, int h, int w, int o,
                          int kk, int stride, int pad) {
        int ho = (h + 2 * pad - kk) / stride + 1, wo = (w + 2 * pad - kk) / stride + 1;
        float[] y = new float[b * o * ho * wo];
        for (int n = 0; n < b; n++) {
            for (int oc = 0; oc < o; oc++) {
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        float s = bias[oc];
                        for (int ic = 0; ic < c; ic++) {
                            for (int ky = 0; ky < kk; ky++) {
                                int iy = oy * stride - pad + ky;
                                if (iy < 0 || iy >= h) continue;
                                for (int kx = 0; kx < kk; kx++) {
                                    int ix = ox * stride - pad + kx;
                                    if (ix < 0 || ix >= w) continue;
                                    s += x[((n * c + ic) * h + iy) * w + ix] * weight[((oc * c + ic) * kk + ky) * kk + kx];
                                }
                            }
                        }
                        y[((n * o + oc) * ho + oy) * wo + ox] = s;
                    }
                }
            }
        }
        return y;
    }
}
