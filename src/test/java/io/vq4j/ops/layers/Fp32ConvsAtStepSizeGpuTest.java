package io.vq4j.ops.layers;

import io.vq4j.GpuTest;
import io.vq4j.TestData;
import io.vq4j.ops.Conv2dSpec;
import io.vq4j.ops.CudaLayerOps;
import io.vq4j.ops.CudaOps;
import io.vq4j.ops.LayerGrads;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The full-FP32 promise at the training step's real sizes: the conv VAE's largest convolutions
 * (batch 8, 3x512x512 in), run through {@code CudaLayerOps(ops, tf32 = false)} with the algorithms
 * cudnnFind picks for them, against float64 sums at sampled positions. TF32 products keep about 10
 * mantissa bits (errors near 1e-3 of the sum of |terms|); FP32 keeps 24 (near 1e-7): the bound
 * 2e-5 tells them apart. Small shapes elsewhere do not reach the algorithms large ones get.
 */
class Fp32ConvsAtStepSizeGpuTest extends GpuTest {
    private static final int SAMPLES = 300;
    private static final double TOL = 2e-5;

    /** n, cIn, cOut, input side, transposed; 3x3 kernels, stride 2, padding 1 (output padding 1 when transposed). */
    private static final int[][] LAYERS = {
        {8, 3, 64, 512, 0}, {8, 64, 128, 256, 0}, {8, 128, 64, 128, 1}, {8, 64, 3, 256, 1},
    };

    @Test
    void largestVaeConvolutionsAreFp32InAllThreePasses() {
        try (CudaOps ops = new CudaOps(); CudaLayerOps gpu = new CudaLayerOps(ops, false)) {
            for (int[] l : LAYERS) {
                Layer g = new Layer(l[0], l[1], l[2], l[3], l[4] == 1);
                float[] x = TestData.gaussian(11L * l[1] + l[3], g.n * g.cin * g.hin * g.hin, 1);
                float[] w = TestData.gaussian(13L * l[2] + l[3], g.cin * g.cout * 9, 0.1);
                float[] gy = TestData.gaussian(17L * l[1] + l[2], g.n * g.cout * g.hout * g.hout, 1);
                int[] wShape = g.transposed ? new int[] {g.cin, g.cout, 3, 3} : new int[] {g.cout, g.cin, 3, 3};
                try (Tensor xd = ops.upload(Tensor.of(x, g.n, g.cin, g.hin, g.hin)); Tensor wd = ops.upload(Tensor.of(w, wShape));
                     Tensor gyd = ops.upload(Tensor.of(gy, g.n, g.cout, g.hout, g.hout));
                     Tensor y = g.transposed ? gpu.convTranspose2d(xd, wd, null, g.spec()) : gpu.conv2d(xd, wd, null, g.spec());
                     LayerGrads grads = g.transposed ? gpu.convTranspose2dBackward(gyd, xd, wd, false, g.spec())
                             : gpu.conv2dBackward(gyd, xd, wd, false, g.spec())) {
                    float[] yh = y.toHost().toFloatArray(), dx = grads.dInput().toHost().toFloatArray();
                    float[] dw = grads.dWeight().toHost().toFloatArray();
                    SplittableRandom r = new SplittableRandom(l[1] * 1000L + l[2]);
                    double ey = 0, edx = 0, edw = 0;
                    for (int s = 0; s < SAMPLES; s++) {
                        int n = r.nextInt(g.n), o = r.nextInt(g.cout), i = r.nextInt(g.hout), j = r.nextInt(g.hout);
                        ey = Math.max(ey, g.forwardError(x, w, yh, n, o, i, j));
                        int c = r.nextInt(g.cin), h = r.nextInt(g.hin), v = r.nextInt(g.hin);
                        edx = Math.max(edx, g.dataError(gy, w, dx, r.nextInt(g.n), c, h, v));
                    }
                    for (int s = 0; s < 12; s++) {
                        edw = Math.max(edw, g.filterError(x, gy, dw, r.nextInt(g.cout), r.nextInt(g.cin), r.nextInt(3), r.nextInt(3)));
                    }
                    System.out.printf("[gpu] op=fp32-conv%s %s relErr y=%.2e dx=%.2e dw=%.2e%n",
                            g.transposed ? "T" : "", g, ey, edx, edw);
                    assertTrue(ey <= TOL && edx <= TOL && edw <= TOL,
                            g + ": errors y " + ey + ", dx " + edx + ", dw " + edw + " exceed " + TOL + " (TF32-sized)");
                }
            }
        }
    }

    /**
     * One layer in conv terms: for a plain conv, out(i) reads in(i*2 - 1 + k). A transposed conv is
     * the same map read backwards (its forward is the conv's data gradient), so each pass below
     * picks the direction by {@code transposed}.
     */
    record Layer(int n, int cin, int cout, int hin, boolean transposed, int hout) {
        Layer(int n, int cin, int cout, int hin, boolean transposed) {
            this(n, cin, cout, hin, transposed, transposed ? hin * 2 : hin / 2);
        }

        Conv2dSpec spec() { return transposed ? Conv2dSpec.transposed(2, 1, 1) : Conv2dSpec.of(2, 1); }

        /** Weight element for (input channel ci, output channel co). */
        double w(float[] w, int ci, int co, int kh, int kw) {
            return transposed ? w[((ci * cout + co) * 3 + kh) * 3 + kw] : w[((co * cin + ci) * 3 + kh) * 3 + kw];
        }

        /** The "small" side (conv output, transposed-conv input) pixel that large-side pixel p reads through tap k, or -1. */
        static int small(int p, int k, int smallSide) {
            int t = p + 1 - k;
            if (t < 0 || (t & 1) != 0) return -1;
            t >>= 1;
            return t < smallSide ? t : -1;
        }

        /** y at (n, o, i, j) against its float64 sum; error over the sum of |terms|. */
        double forwardError(float[] x, float[] w, float[] y, int b, int o, int i, int j) {
            double sum = 0, mag = 0;
            for (int c = 0; c < cin; c++) {
                for (int kh = 0; kh < 3; kh++) {
                    for (int kw = 0; kw < 3; kw++) {
                        double t;
                        if (!transposed) {
                            int h = i * 2 - 1 + kh, v = j * 2 - 1 + kw;
                            if (h < 0 || h >= hin || v < 0 || v >= hin) continue;
                            t = x[((b * cin + c) * hin + h) * hin + v] * w(w, c, o, kh, kw);
                        } else {
                            int h = small(i, kh, hin), v = small(j, kw, hin);
                            if (h < 0 || v < 0) continue;
                            t = x[((b * cin + c) * hin + h) * hin + v] * w(w, c, o, kh, kw);
                        }
                        sum += t;
                        mag += Math.abs(t);
                    }
                }
            }
            return Math.abs(y[((b * cout + o) * hout + i) * hout + j] - sum) / (mag + 1e-30);
        }

        /** dx at (n, c, h, v): the gradient flows from gy back through the same taps. */
        double dataError(float[] gy, float[] w, float[] dx, int b, int c, int h, int v) {
            double sum = 0, mag = 0;
            for (int o = 0; o < cout; o++) {
                for (int kh = 0; kh < 3; kh++) {
                    for (int kw = 0; kw < 3; kw++) {
                        int i, j;
                        if (!transposed) {
                            i = small(h, kh, hout);
                            j = small(v, kw, hout);
                            if (i < 0 || j < 0) continue;
                        } else {
                            i = h * 2 - 1 + kh;
                            j = v * 2 - 1 + kw;
                            if (i < 0 || i >= hout || j < 0 || j >= hout) continue;
                        }
                        double t = gy[((b * cout + o) * hout + i) * hout + j] * w(w, c, o, kh, kw);
                        sum += t;
                        mag += Math.abs(t);
                    }
                }
            }
            return Math.abs(dx[((b * cin + c) * hin + h) * hin + v] - sum) / (mag + 1e-30);
        }

        /** dw for (output channel o, input channel c, tap kh, kw): a sum over the whole batch. */
        double filterError(float[] x, float[] gy, float[] dw, int o, int c, int kh, int kw) {
            double sum = 0, mag = 0;
            int small = transposed ? hin : hout, large = transposed ? hout : hin;
            for (int b = 0; b < n; b++) {
                for (int i = 0; i < small; i++) {
                    int h = i * 2 - 1 + kh;
                    if (h < 0 || h >= large) continue;
                    for (int j = 0; j < small; j++) {
                        int v = j * 2 - 1 + kw;
                        if (v < 0 || v >= large) continue;
                        double t = transposed
                                ? (double) x[((b * cin + c) * hin + i) * hin + j] * gy[((b * cout + o) * hout + h) * hout + v]
                                : (double) x[((b * cin + c) * hin + h) * hin + v] * gy[((b * cout + o) * hout + i) * hout + j];
                        sum += t;
                        mag += Math.abs(t);
                    }
                }
            }
            int idx = transposed ? ((c * cout + o) * 3 + kh) * 3 + kw : ((o * cin + c) * 3 + kh) * 3 + kw;
            return Math.abs(dw[idx] - sum) / (mag + 1e-30);
        }

        @Override
        public String toString() {
            return (transposed ? "convT " : "conv ") + n + "x" + cin + "x" + hin + "x" + hin + " -> " + cout + "x" + hout + "x" + hout;
        }
    }
}
