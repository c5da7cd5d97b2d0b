package io.vq4j.ops.layers;

import io.vq4j.TestData;
import io.vq4j.ops.Conv2dSpec;
import io.vq4j.ops.CpuLayerOps;
import io.vq4j.ops.LayerGrads;
import io.vq4j.ops.LayerOps;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CPU transposed convolution, forward and backward, against direct double loops and finite differences. */
class ConvTranspose2dTest {
    static final LayerOps OPS = new CpuLayerOps();

    /** x [n, c, h, w], weight [c, o, kh, kw]. */
    record Case(int n, int c, int h, int w, int o, int kh, int kw, Conv2dSpec spec, boolean bias) {
        int outH() { return (h - 1) * spec.strideH() - 2 * spec.padH() + kh + spec.outPadH(); }
        int outW() { return (w - 1) * spec.strideW() - 2 * spec.padW() + kw + spec.outPadW(); }

        @Override public String toString() {
            return "x[" + n + "," + c + "," + h + "," + w + "] w[" + c + "," + o + "," + kh + "," + kw + "] " + spec
                    + (bias ? " +bias" : "");
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case(2, 3, 4, 4, 5, 3, 3, Conv2dSpec.transposed(2, 1, 1), true),   // the decoder's 2x upsampler
                new Case(1, 1, 7, 5, 1, 1, 1, Conv2dSpec.transposed(1, 0, 0), true),   // 1x1, channel 1
                new Case(3, 4, 5, 3, 2, 1, 1, Conv2dSpec.transposed(2, 0, 1), false),  // 1x1 stride 2: gaps in the output
                new Case(2, 32, 4, 4, 9, 4, 4, Conv2dSpec.transposed(2, 1, 0), true),  // 4x4 s2 p1
                new Case(1, 3, 7, 5, 2, 3, 3, Conv2dSpec.transposed(1, 1, 0), true),   // same size
                new Case(300, 6, 2, 2, 3, 3, 3, Conv2dSpec.transposed(2, 1, 1), true), // several groups of 128 images
                new Case(2, 260, 3, 3, 3, 3, 3, Conv2dSpec.transposed(1, 0, 0), false),// 260 in-channels > GEMM K block
                new Case(1, 2, 3, 4, 3, 2, 3, new Conv2dSpec(2, 3, 1, 0, 1, 2), true), // asymmetric
                new Case(1, 2, 5, 5, 3, 1, 1, Conv2dSpec.transposed(1, 1, 0), true));  // padding crops the border
    }

    static Tensor weight(Case k, float[] w) { return Tensor.of(w, k.c, k.o, k.kh, k.kw); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardMatchesScatterLoops(Case k) {
        long seed = k.hashCode();
        float[] x = TestData.gaussian(seed, k.n * k.c * k.h * k.w, 1.0);
        float[] w = TestData.gaussian(seed + 1, k.c * k.o * k.kh * k.kw, 0.5);
        float[] b = k.bias ? TestData.gaussian(seed + 2, k.o, 1.0) : null;
        double[] ref = Naive.convTranspose2d(Naive.toDouble(x), Naive.toDouble(w), b == null ? null : Naive.toDouble(b),
                k.n, k.c, k.h, k.w, k.o, k.kh, k.kw, k.spec);
        try (Tensor y = OPS.convTranspose2d(Tensor.of(x, k.n, k.c, k.h, k.w), weight(k, w),
                b == null ? null : Tensor.of(b, k.o), k.spec)) {
            assertArrayEquals(new int[] {k.n, k.o, k.outH(), k.outW()}, y.shape());
            double err = TestData.relError(y.toFloatArray(), ref);
            System.out.printf("[cpu] op=convTranspose2d %s relErr=%.2e%n", k, err);
            assertTrue(err < 1e-6, "convTranspose2d " + k + ": relErr " + err);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardMatchesLoopsAndFiniteDifferences(Case k) {
        long seed = k.hashCode() * 31L;
        float[] x = TestData.gaussian(seed, k.n * k.c * k.h * k.w, 1.0);
        float[] w = TestData.gaussian(seed + 1, k.c * k.o * k.kh * k.kw, 0.5);
        float[] g = TestData.gaussian(seed + 3, k.n * k.o * k.outH() * k.outW(), 1.0);
        try (LayerGrads grads = OPS.convTranspose2dBackward(Tensor.of(g, k.n, k.o, k.outH(), k.outW()),
                Tensor.of(x, k.n, k.c, k.h, k.w), weight(k, w), k.bias, k.spec)) {
            float[] dx = grads.dInput().toFloatArray(), dw = grads.dWeight().toFloatArray();
            if (!k.bias) assertNull(grads.dBias());
            double[] gd = Naive.toDouble(g);
            double[][] ref = Naive.convTranspose2dBackward(gd, Naive.toDouble(x), Naive.toDouble(w),
                    k.n, k.c, k.h, k.w, k.o, k.kh, k.kw, k.spec);
            double ex = TestData.relError(dx, ref[0]), ew = TestData.relError(dw, ref[1]);
            double eb = k.bias ? TestData.relError(grads.dBias().toFloatArray(), ref[2]) : 0;

            double[][] params = {Naive.toDouble(x), Naive.toDouble(w), new double[k.o]};
            ToDoubleFunction<double[][]> loss = p -> Naive.dot(gd,
                    Naive.convTranspose2d(p[0], p[1], p[2], k.n, k.c, k.h, k.w, k.o, k.kh, k.kw, k.spec));
            int[] cx = Naive.coords(x.length, 24, seed), cw = Naive.coords(w.length, 24, seed + 1);
            double fx = Naive.relError(Naive.pick(dx, cx), Naive.finiteDifferences(loss, params, 0, cx, 1e-3));
            double fw = Naive.relError(Naive.pick(dw, cw), Naive.finiteDifferences(loss, params, 1, cw, 1e-3));
            double fb = 0;
            if (k.bias) {
                int[] cb = Naive.coords(k.o, 24, seed + 2);
                fb = Naive.relError(Naive.pick(grads.dBias().toFloatArray(), cb),
                        Naive.finiteDifferences(loss, params, 2, cb, 1e-3));
            }
            System.out.printf("[cpu] op=convTranspose2dBackward %s relErr dx=%.2e dw=%.2e db=%.2e fd dx=%.2e dw=%.2e db=%.2e%n",
                    k, ex, ew, eb, fx, fw, fb);
            assertTrue(ex < 1e-6 && ew < 1e-6 && eb < 1e-6,
                    "convTranspose2dBackward " + k + " vs loops: dx " + ex + " dw " + ew + " db " + eb);
            assertTrue(fx < 1e-5 && fw < 1e-5 && fb < 1e-5,
                    "convTranspose2dBackward " + k + " vs finite differences: dx " + fx + " dw " + fw + " db " + fb);
        }
    }
}
