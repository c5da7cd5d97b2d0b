package io.vq4j.ops.layers;

import io.vq4j.TestData;
import io.vq4j.ops.Conv2dSpec;
import io.vq4j.ops.CpuLayerOps;
import io.vq4j.ops.LayerGrads;
import io.vq4j.ops.LayerOps;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CPU conv2d, forward and backward, against direct double loops and finite differences. */
class Conv2dTest {
    static final LayerOps OPS = new CpuLayerOps();

    record Case(int n, int c, int h, int w, int o, int kh, int kw, Conv2dSpec spec, boolean bias) {
        @Override public String toString() {
            return "x[" + n + "," + c + "," + h + "," + w + "] w[" + o + "," + c + "," + kh + "," + kw + "] " + spec
                    + (bias ? " +bias" : "");
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case(1, 1, 7, 5, 1, 3, 3, Conv2dSpec.of(1, 1), true),        // batch 1, channel 1
                new Case(2, 3, 7, 5, 4, 3, 3, Conv2dSpec.of(2, 1), true),        // stride 2, odd sizes
                new Case(3, 3, 9, 7, 5, 1, 1, Conv2dSpec.of(1, 0), false),       // 1x1
                new Case(2, 4, 6, 6, 3, 1, 1, Conv2dSpec.of(2, 0), true),        // 1x1 stride 2
                new Case(5, 32, 8, 8, 16, 3, 3, Conv2dSpec.of(1, 1), true),      // 288 taps > GEMM K block, 320 cols > N block
                new Case(2, 3, 32, 32, 8, 4, 4, Conv2dSpec.of(2, 1), true),      // VQ-VAE stem
                new Case(13, 5, 3, 3, 7, 3, 3, Conv2dSpec.of(1, 0), true),       // 1x1 output, 13 images in one group
                new Case(1, 2, 5, 4, 3, 3, 2, new Conv2dSpec(2, 1, 0, 1, 0, 0), true), // asymmetric
                new Case(40, 8, 4, 4, 8, 3, 3, Conv2dSpec.of(1, 1), false),      // several groups, last one partial
                new Case(1, 2, 3, 3, 2, 5, 5, Conv2dSpec.of(1, 1), true),        // kernel = padded input
                new Case(2, 3, 4, 4, 2, 1, 1, Conv2dSpec.of(1, 2), true));       // padding wider than the kernel
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardMatchesDirectLoops(Case k) {
        long seed = k.hashCode();
        float[] x = TestData.gaussian(seed, k.n * k.c * k.h * k.w, 1.0);
        float[] w = TestData.gaussian(seed + 1, k.o * k.c * k.kh * k.kw, 0.5);
        float[] b = k.bias ? TestData.gaussian(seed + 2, k.o, 1.0) : null;
        double[] ref = Naive.conv2d(Naive.toDouble(x), Naive.toDouble(w), b == null ? null : Naive.toDouble(b),
                k.n, k.c, k.h, k.w, k.o, k.kh, k.kw, k.spec);
        try (Tensor y = OPS.conv2d(Tensor.of(x, k.n, k.c, k.h, k.w), Tensor.of(w, k.o, k.c, k.kh, k.kw),
                b == null ? null : Tensor.of(b, k.o), k.spec)) {
            int oh = (k.h + 2 * k.spec.padH() - k.kh) / k.spec.strideH() + 1;
            int ow = (k.w + 2 * k.spec.padW() - k.kw) / k.spec.strideW() + 1;
            assertArrayEquals(new int[] {k.n, k.o, oh, ow}, y.shape());
            double err = TestData.relError(y.toFloatArray(), ref);
            System.out.printf("[cpu] op=conv2d %s relErr=%.2e%n", k, err);
            assertTrue(err < 1e-6, "conv2d " + k + ": relErr " + err);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardMatchesDirectLoopsAndFiniteDifferences(Case k) {
        long seed = k.hashCode() * 31L;
        float[] x = TestData.gaussian(seed, k.n * k.c * k.h * k.w, 1.0);
        float[] w = TestData.gaussian(seed + 1, k.o * k.c * k.kh * k.kw, 0.5);
        int oh = (k.h + 2 * k.spec.padH() - k.kh) / k.spec.strideH() + 1;
        int ow = (k.w + 2 * k.spec.padW() - k.kw) / k.spec.strideW() + 1;
        float[] g = TestData.gaussian(seed + 3, k.n * k.o * oh * ow, 1.0);
        try (LayerGrads grads = OPS.conv2dBackward(Tensor.of(g, k.n, k.o, oh, ow), Tensor.of(x, k.n, k.c, k.h, k.w),
                Tensor.of(w, k.o, k.c, k.kh, k.kw), k.bias, k.spec)) {
            float[] dx = grads.dInput().toFloatArray(), dw = grads.dWeight().toFloatArray();
            if (!k.bias) assertNull(grads.dBias());
            double[] gd = Naive.toDouble(g);
            double[][] ref = Naive.conv2dBackward(gd, Naive.toDouble(x), Naive.toDouble(w),
                    k.n, k.c, k.h, k.w, k.o, k.kh, k.kw, k.spec);
            double ex = TestData.relError(dx, ref[0]), ew = TestData.relError(dw, ref[1]);
            double eb = k.bias ? TestData.relError(grads.dBias().toFloatArray(), ref[2]) : 0;

            // Finite differences of <g, conv2d(x, w, b)> in double: the gradient of the forward's definition.
            double[][] params = {Naive.toDouble(x), Naive.toDouble(w), new double[k.o]};
            java.util.function.ToDoubleFunction<double[][]> loss = p -> Naive.dot(gd,
                    Naive.conv2d(p[0], p[1], p[2], k.n, k.c, k.h, k.w, k.o, k.kh, k.kw, k.spec));
            int[] cx = Naive.coords(x.length, 24, seed), cw = Naive.coords(w.length, 24, seed + 1);
            double fx = Naive.relError(Naive.pick(dx, cx), Naive.finiteDifferences(loss, params, 0, cx, 1e-3));
            double fw = Naive.relError(Naive.pick(dw, cw), Naive.finiteDifferences(loss, params, 1, cw, 1e-3));
            double fb = 0;
            if (k.bias) {
                int[] cb = Naive.coords(k.o, 24, seed + 2);
                fb = Naive.relError(Naive.pick(grads.dBias().toFloatArray(), cb),
                        Naive.finiteDifferences(loss, params, 2, cb, 1e-3));
            }
            System.out.printf("[cpu] op=conv2dBackward %s relErr dx=%.2e dw=%.2e db=%.2e fd dx=%.2e dw=%.2e db=%.2e%n",
                    k, ex, ew, eb, fx, fw, fb);
            assertTrue(ex < 1e-6 && ew < 1e-6 && eb < 1e-6,
                    "conv2dBackward " + k + " vs direct loops: dx " + ex + " dw " + ew + " db " + eb);
            assertTrue(fx < 1e-5 && fw < 1e-5 && fb < 1e-5,
                    "conv2dBackward " + k + " vs finite differences: dx " + fx + " dw " + fw + " db " + fb);
        }
    }
}
