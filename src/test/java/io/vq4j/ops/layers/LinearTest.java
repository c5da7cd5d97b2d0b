package io.vq4j.ops.layers;

import io.vq4j.TestData;
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

/** CPU linear layer, forward and backward, against double loops and finite differences. */
class LinearTest {
    static final LayerOps OPS = new CpuLayerOps();

    record Case(int n, int in, int out, boolean bias) {
        @Override public String toString() { return "x[" + n + "," + in + "] w[" + out + "," + in + "]" + (bias ? " +bias" : ""); }
        /** Finite-difference probes per tensor: fewer where one evaluation of the loss is expensive. */
        int probes() { return (long) n * in * out > 2_000_000 ? 4 : 24; }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case(1, 1, 1, true),
                new Case(13, 1, 2, true),           // in = 1
                new Case(13, 3, 4, true),
                new Case(7, 257, 5, false),         // in crosses the GEMM's K block
                new Case(2, 256, 1024, true),       // 1024 outputs: several N blocks, threads split columns
                new Case(3, 64, 16384, false),      // 16384 outputs
                new Case(300, 64, 4, true),         // threads split rows
                new Case(1_000_003, 3, 4, true));   // a million rows
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardMatchesLoops(Case k) {
        long seed = k.hashCode();
        float[] x = TestData.gaussian(seed, k.n * k.in, 1.0);
        float[] w = TestData.gaussian(seed + 1, k.out * k.in, 1.0 / Math.sqrt(k.in));
        float[] b = k.bias ? TestData.gaussian(seed + 2, k.out, 1.0) : null;
        double[] ref = Naive.linear(Naive.toDouble(x), Naive.toDouble(w), b == null ? null : Naive.toDouble(b), k.n, k.in, k.out);
        try (Tensor y = OPS.linear(Tensor.of(x, k.n, k.in), Tensor.of(w, k.out, k.in), b == null ? null : Tensor.of(b, k.out))) {
            assertArrayEquals(new int[] {k.n, k.out}, y.shape());
            double err = TestData.relError(y.toFloatArray(), ref);
            System.out.printf("[cpu] op=linear %s relErr=%.2e%n", k, err);
            assertTrue(err < 1e-6, "linear " + k + ": relErr " + err);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardMatchesLoopsAndFiniteDifferences(Case k) {
        long seed = k.hashCode() * 31L;
        float[] x = TestData.gaussian(seed, k.n * k.in, 1.0);
        float[] w = TestData.gaussian(seed + 1, k.out * k.in, 1.0 / Math.sqrt(k.in));
        float[] g = TestData.gaussian(seed + 3, k.n * k.out, 1.0);
        try (LayerGrads grads = OPS.linearBackward(Tensor.of(g, k.n, k.out), Tensor.of(x, k.n, k.in),
                Tensor.of(w, k.out, k.in), k.bias)) {
            float[] dx = grads.dInput().toFloatArray(), dw = grads.dWeight().toFloatArray();
            if (!k.bias) assertNull(grads.dBias());
            double[] gd = Naive.toDouble(g);
            double[][] ref = Naive.linearBackward(gd, Naive.toDouble(x), Naive.toDouble(w), k.n, k.in, k.out);
            double ex = TestData.relError(dx, ref[0]), ew = TestData.relError(dw, ref[1]);
            double eb = k.bias ? TestData.relError(grads.dBias().toFloatArray(), ref[2]) : 0;

            double[][] params = {Naive.toDouble(x), Naive.toDouble(w), new double[k.out]};
            ToDoubleFunction<double[][]> loss = p -> Naive.dot(gd, Naive.linear(p[0], p[1], p[2], k.n, k.in, k.out));
            int[] cx = Naive.coords(x.length, k.probes(), seed), cw = Naive.coords(w.length, k.probes(), seed + 1);
            double fx = Naive.relError(Naive.pick(dx, cx), Naive.finiteDifferences(loss, params, 0, cx, 1e-3));
            double fw = Naive.relError(Naive.pick(dw, cw), Naive.finiteDifferences(loss, params, 1, cw, 1e-3));
            double fb = 0;
            if (k.bias) {
                int[] cb = Naive.coords(k.out, k.probes(), seed + 2);
                fb = Naive.relError(Naive.pick(grads.dBias().toFloatArray(), cb),
                        Naive.finiteDifferences(loss, params, 2, cb, 1e-3));
            }
            System.out.printf("[cpu] op=linearBackward %s relErr dx=%.2e dw=%.2e db=%.2e fd dx=%.2e dw=%.2e db=%.2e%n",
                    k, ex, ew, eb, fx, fw, fb);
            // dW sums n products per element in float: allow the random-walk growth of that error.
            double tolW = 1e-6 * Math.max(1, Math.sqrt(k.n / 4096.0));
            assertTrue(ex < 1e-6 && ew < tolW && eb < 1e-6,
                    "linearBackward " + k + " vs loops: dx " + ex + " dw " + ew + " db " + eb);
            assertTrue(fx < 1e-5 && fw < Math.max(1e-5, 2 * tolW) && fb < 1e-5,
                    "linearBackward " + k + " vs finite differences: dx " + fx + " dw " + fw + " db " + fb);
        }
    }
}
