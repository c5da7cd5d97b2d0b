package io.vq4j.ops.cpu;

/**
 * {@code BatchNorm2d} on NCHW float arrays {@code [n, c, plane]}, with PyTorch's semantics:
 * batch statistics per channel over (n, plane), the biased variance to normalise, the unbiased one
 * for the running variance. Statistics are summed in double (two passes: mean, then squared
 * deviations) so they do not depend on the summation order or suffer from cancellation.
 * Parallel over channels.
 */
public final class BatchNormCpu {
    private BatchNormCpu() {}

    /** Channels per parallel chunk: about 64 Ki elements of work each. */
    private static int grain(int n, int plane) { return Math.max(1, (1 << 16) / Math.max(1, n * plane)); }

    /**
     * Training forward: y, and per channel saveMean = mean, saveInvstd = 1/sqrt(biased var + eps).
     * When runningMean is not null, updates runningMean/runningVar in place with momentum.
     */
    public static void forwardTrain(int n, int ch, int plane, float[] x, float[] gamma, float[] beta, float eps,
                                    float momentum, float[] runningMean, float[] runningVar,
                                    float[] y, float[] saveMean, float[] saveInvstd) {
        long m = (long) n * plane;
        Parallel.forRange(ch, grain(n, plane), (lo, hi) -> {
            for (int c = lo; c < hi; c++) {
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    int off = (i * ch + c) * plane;
                    for (int q = 0; q < plane; q++) sum += x[off + q];
                }
                double mean = sum / m;
                double ss = 0;
                for (int i = 0; i < n; i++) {
                    int off = (i * ch + c) * plane;
                    for (int q = 0; q < plane; q++) {
                        double d = x[off + q] - mean;
                        ss += d * d;
                    }
                }
                double var = ss / m;
                double invstd = 1.0 / Math.sqrt(var + eps);
                saveMean[c] = (float) mean;
                saveInvstd[c] = (float) invstd;
                normalize(n, ch, plane, c, x, mean, (float) (invstd * gamma[c]), beta[c], y);
                if (runningMean != null) {
                    double unbiased = ss / (m - 1);
                    runningMean[c] = (float) ((1.0 - momentum) * runningMean[c] + momentum * mean);
                    runningVar[c] = (float) ((1.0 - momentum) * runningVar[c] + momentum * unbiased);
                }
            }
        });
    }

    /** Eval forward: y = (x - runningMean) / sqrt(runningVar + eps) * gamma + beta. */
    public static void forwardEval(int n, int ch, int plane, float[] x, float[] gamma, float[] beta, float eps,
                                   float[] runningMean, float[] runningVar, float[] y) {
        Parallel.forRange(ch, grain(n, plane), (lo, hi) -> {
            for (int c = lo; c < hi; c++) {
                double invstd = 1.0 / Math.sqrt((double) runningVar[c] + eps);
                normalize(n, ch, plane, c, x, runningMean[c], (float) (invstd * gamma[c]), beta[c], y);
            }
        });
    }

    /**
     * y = (x - mean) * scale + shift over channel c (x and y at the same index: the row loop
     * vectorises). The mean is subtracted as a float pair hi + lo: with a large mean and a small
     * spread, rounding the mean to one float would cost up to |mean|/std ulps of y.
     */
    private static void normalize(int n, int ch, int plane, int c, float[] x, double mean, float scale, float shift,
                                  float[] y) {
        float hi = (float) mean, lo = (float) (mean - hi);
        for (int i = 0; i < n; i++) {
            int off = (i * ch + c) * plane;
            for (int q = 0; q < plane; q++) y[off + q] = ((x[off + q] - hi) - lo) * scale + shift;
        }
    }

    /**
     * Training backward from the saved statistics, with xhat = (x - mean) * invstd and M = n*plane:
     * dbeta = sum dy, dgamma = sum dy*xhat, dx = gamma*invstd * (dy - dbeta/M - xhat*dgamma/M).
     */
    public static void backward(int n, int ch, int plane, float[] dy, float[] x, float[] gamma,
                                float[] saveMean, float[] saveInvstd, float[] dx, float[] dgamma, float[] dbeta) {
        long m = (long) n * plane;
        Parallel.forRange(ch, grain(n, plane), (lo, hi) -> {
            for (int c = lo; c < hi; c++) {
                double mean = saveMean[c], invstd = saveInvstd[c];
                double sdy = 0, sdyx = 0;
                for (int i = 0; i < n; i++) {
                    int off = (i * ch + c) * plane;
                    for (int q = 0; q < plane; q++) {
                        double g = dy[off + q];
                        sdy += g;
                        sdyx += g * (x[off + q] - mean);
                    }
                }
                double dg = sdyx * invstd;
                dbeta[c] = (float) sdy;
                dgamma[c] = (float) dg;
                // dx = k * (dy - a - (x - mean) * b): one fused pass per row.
                float k = (float) (gamma[c] * invstd);
                float a = (float) (sdy / m);
                float b = (float) (dg * invstd / m);
                float mf = (float) mean;
                for (int i = 0; i < n; i++) {
                    int off = (i * ch + c) * plane;
                    for (int q = 0; q < plane; q++) dx[off + q] = k * (dy[off + q] - a - (x[off + q] - mf) * b);
                }
            }
        });
    }
}
