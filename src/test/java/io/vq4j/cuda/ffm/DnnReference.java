package io.vq4j.cuda.ffm;

/**
 * Plain double-precision references for the cuDNN GPU tests: convolution (cross-correlation)
 * forward and its three gradients, and spatial batch norm (training, inference, backward).
 * Simple loops straight from the definitions; {@link DnnReferenceTest} checks them on the CPU
 * (hand-worked examples, adjoint identities, finite differences).
 */
final class DnnReference {
    private DnnReference() {}

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    private static int idx(Dims4 d, int n, int c, int h, int w) {
        return ((n * d.c() + c) * d.h() + h) * d.w() + w;
    }

    /** Calls {@code body(xIndex, wIndex, yIndex)} for every (input, filter, output) triple of the convolution. */
    private interface Taps {
        void tap(int xi, int wi, int yi);
    }

    private static void forEachTap(Dims4 x, Dims4 w, ConvolutionDescriptor.Params p, Taps body) {
        Dims4 y = p.output(x, w);
        for (int n = 0; n < y.n(); n++)
            for (int k = 0; k < y.c(); k++)
                for (int oh = 0; oh < y.h(); oh++)
                    for (int ow = 0; ow < y.w(); ow++)
                        for (int c = 0; c < x.c(); c++)
                            for (int r = 0; r < w.h(); r++) {
                                int ih = oh * p.strideH() - p.padH() + r * p.dilationH();
                                if (ih < 0 || ih >= x.h()) continue;
                                for (int s = 0; s < w.w(); s++) {
                                    int iw = ow * p.strideW() - p.padW() + s * p.dilationW();
                                    if (iw < 0 || iw >= x.w()) continue;
                                    body.tap(idx(x, n, c, ih, iw), idx(w, k, c, r, s), idx(y, n, k, oh, ow));
                                }
                            }
    }

    /** y[n,k,p,q] = sum over c, r, s of x[n, c, p*stride - pad + r*dil, q*stride - pad + s*dil] w[k,c,r,s] (zero outside). */
    static double[] convForward(double[] x, Dims4 xd, double[] w, Dims4 wd, ConvolutionDescriptor.Params p) {
        double[] y = new double[(int) p.output(xd, wd).elements()];
        forEachTap(xd, wd, p, (xi, wi, yi) -> y[yi] += x[xi] * w[wi]);
        return y;
    }

    /** dL/dx given dL/dy. */
    static double[] convBackwardData(double[] dy, double[] w, Dims4 xd, Dims4 wd, ConvolutionDescriptor.Params p) {
        double[] dx = new double[(int) xd.elements()];
        forEachTap(xd, wd, p, (xi, wi, yi) -> dx[xi] += dy[yi] * w[wi]);
        return dx;
    }

    /** dL/dw given dL/dy. */
    static double[] convBackwardFilter(double[] x, double[] dy, Dims4 xd, Dims4 wd, ConvolutionDescriptor.Params p) {
        double[] dw = new double[(int) wd.elements()];
        forEachTap(xd, wd, p, (xi, wi, yi) -> dw[wi] += x[xi] * dy[yi]);
        return dw;
    }

    /** db[k] = sum over n, h, w of dy[n,k,h,w]. */
    static double[] biasGrad(double[] dy, Dims4 yd) {
        double[] db = new double[yd.c()];
        for (int n = 0; n < yd.n(); n++)
            for (int k = 0; k < yd.c(); k++)
                for (int h = 0; h < yd.h(); h++)
                    for (int w = 0; w < yd.w(); w++) db[k] += dy[idx(yd, n, k, h, w)];
        return db;
    }

    /** Per-channel batch statistics: mean and biased variance over (n, h, w). */
    static double[][] channelStats(double[] x, Dims4 d) {
        int m = d.n() * d.h() * d.w();
        double[] mean = new double[d.c()], var = new double[d.c()];
        for (int c = 0; c < d.c(); c++) {
            double s = 0;
            for (int n = 0; n < d.n(); n++)
                for (int h = 0; h < d.h(); h++)
                    for (int w = 0; w < d.w(); w++) s += x[idx(d, n, c, h, w)];
            mean[c] = s / m;
            double v = 0;
            for (int n = 0; n < d.n(); n++)
                for (int h = 0; h < d.h(); h++)
                    for (int w = 0; w < d.w(); w++) {
                        double e = x[idx(d, n, c, h, w)] - mean[c];
                        v += e * e;
                    }
            var[c] = v / m;
        }
        return new double[][] {mean, var};
    }

    /** y = scale (x - mean) / sqrt(var + eps) + bias, per channel. */
    static double[] batchNorm(double[] x, Dims4 d, double[] scale, double[] bias, double[] mean, double[] var, double eps) {
        double[] y = new double[x.length];
        for (int n = 0; n < d.n(); n++)
            for (int c = 0; c < d.c(); c++) {
                double inv = 1 / Math.sqrt(var[c] + eps);
                for (int h = 0; h < d.h(); h++)
                    for (int w = 0; w < d.w(); w++) {
                        int i = idx(d, n, c, h, w);
                        y[i] = scale[c] * (x[i] - mean[c]) * inv + bias[c];
                    }
            }
        return y;
    }

    /** Training-mode batch norm: output, batch mean, 1/sqrt(biased var + eps), and the updated running statistics. */
    record BnTraining(double[] y, double[] mean, double[] invStd, double[] runningMean, double[] runningVar) {}

    static BnTraining batchNormTraining(double[] x, Dims4 d, double[] scale, double[] bias, double factor,
                                        double[] runningMean, double[] runningVar, double eps) {
        double[][] st = channelStats(x, d);
        double[] mean = st[0], var = st[1];
        int m = d.n() * d.h() * d.w();
        double[] invStd = new double[d.c()], rm = new double[d.c()], rv = new double[d.c()];
        for (int c = 0; c < d.c(); c++) {
            invStd[c] = 1 / Math.sqrt(var[c] + eps);
            rm[c] = (1 - factor) * runningMean[c] + factor * mean[c];
            rv[c] = (1 - factor) * runningVar[c] + factor * var[c] * m / (m - 1); // unbiased, as cuDNN and PyTorch
        }
        return new BnTraining(batchNorm(x, d, scale, bias, mean, var, eps), mean, invStd, rm, rv);
    }

    record BnGrads(double[] dx, double[] dScale, double[] dBias) {}

    /** Gradients of training-mode batch norm (batch statistics depend on x). */
    static BnGrads batchNormBackward(double[] x, Dims4 d, double[] dy, double[] scale, double eps) {
        double[][] st = channelStats(x, d);
        double[] mean = st[0], var = st[1];
        int m = d.n() * d.h() * d.w();
        double[] dScale = new double[d.c()], dBias = new double[d.c()], dx = new double[x.length];
        for (int c = 0; c < d.c(); c++) {
            double inv = 1 / Math.sqrt(var[c] + eps);
            for (int n = 0; n < d.n(); n++)
                for (int h = 0; h < d.h(); h++)
                    for (int w = 0; w < d.w(); w++) {
                        int i = idx(d, n, c, h, w);
                        dBias[c] += dy[i];
                        dScale[c] += dy[i] * (x[i] - mean[c]) * inv;
                    }
            for (int n = 0; n < d.n(); n++)
                for (int h = 0; h < d.h(); h++)
                    for (int w = 0; w < d.w(); w++) {
                        int i = idx(d, n, c, h, w);
                        double xhat = (x[i] - mean[c]) * inv;
                        dx[i] = scale[c] * inv / m * (m * dy[i] - dBias[c] - xhat * dScale[c]);
                    }
        }
        return new BnGrads(dx, dScale, dBias);
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
