package io.vq4j.ops.layers;

import io.vq4j.TestData;
import io.vq4j.ops.CpuLayerOps;
import io.vq4j.ops.LayerOps;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.function.DoubleUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CPU activations against double formulas, and their backward passes against elementwise central
 * differences of those formulas (the loss sum(g * f(x)) is separable, so each coordinate's
 * difference quotient costs one pair of evaluations).
 */
class ActivationTest {
    static final LayerOps OPS = new CpuLayerOps();

    /** Gaussian values with every 7th exactly 0 (where relu's conventions show). */
    static float[] input(long seed, int n) {
        float[] x = TestData.gaussian(seed, n, 3.0);
        for (int i = 0; i < n; i += 7) x[i] = 0f;
        return x;
    }

    static void check(String op, int n, DoubleUnaryOperator f, float[] x, float[] y, float[] g, float[] dx,
                      DoubleUnaryOperator fPrimeAt0, double tol) {
        double[] yRef = new double[n], dxRef = new double[n];
        double h = 1e-6;
        for (int i = 0; i < n; i++) {
            yRef[i] = f.applyAsDouble(x[i]);
            // PyTorch's conventions at the kink; elsewhere the difference quotient (x is at least
            // ~1e-7 away from 0 or exactly 0, so no other point straddles the kink).
            dxRef[i] = x[i] == 0f ? g[i] * fPrimeAt0.applyAsDouble(0)
                    : g[i] * (f.applyAsDouble(x[i] + h) - f.applyAsDouble(x[i] - h)) / (2 * h);
        }
        double ey = TestData.relError(y, yRef), ed = TestData.relError(dx, dxRef);
        System.out.printf("[cpu] op=%s n=%d relErr y=%.2e dx=%.2e%n", op, n, ey, ed);
        assertTrue(ey < tol, op + " n=" + n + ": forward relErr " + ey);
        assertTrue(ed < 1e-6, op + " n=" + n + ": backward relErr vs finite differences " + ed);
    }

    static double sigmoid(double v) { return 1 / (1 + Math.exp(-v)); }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 13, 1_000_003})
    void relu(int n) {
        float[] x = input(n, n), g = TestData.gaussian(n + 1, n, 1.0);
        try (Tensor y = OPS.relu(Tensor.of(x, n));
             Tensor dx = OPS.reluBackward(Tensor.of(g, n), y)) {
            check("relu", n, v -> Math.max(v, 0), x, y.toFloatArray(), g, dx.toFloatArray(), v -> 0, 1e-12);
        }
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 13, 1_000_003})
    void leakyRelu(int n) {
        for (float slope : new float[] {0.2f, 0.01f}) {
            float[] x = input(n + 2, n), g = TestData.gaussian(n + 3, n, 1.0);
            try (Tensor xt = Tensor.of(x, n); Tensor y = OPS.leakyRelu(xt, slope);
                 Tensor dx = OPS.leakyReluBackward(Tensor.of(g, n), xt, slope)) {
                // the float forward rounds slope*x once: within an ulp of the double formula
                check("leakyRelu(" + slope + ")", n, v -> v > 0 ? v : slope * v,
                        x, y.toFloatArray(), g, dx.toFloatArray(), v -> slope, 1e-7);
            }
        }
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 13, 1_000_003})
    void tanh(int n) {
        float[] x = input(n + 4, n), g = TestData.gaussian(n + 5, n, 1.0);
        try (Tensor y = OPS.tanh(Tensor.of(x, n));
             Tensor dx = OPS.tanhBackward(Tensor.of(g, n), y)) {
            check("tanh", n, Math::tanh, x, y.toFloatArray(), g, dx.toFloatArray(), v -> 1, 1e-7);
        }
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 13, 1_000_003})
    void sigmoid(int n) {
        float[] x = input(n + 6, n), g = TestData.gaussian(n + 7, n, 1.0);
        try (Tensor y = OPS.sigmoid(Tensor.of(x, n));
             Tensor dx = OPS.sigmoidBackward(Tensor.of(g, n), y)) {
            check("sigmoid", n, ActivationTest::sigmoid, x, y.toFloatArray(), g, dx.toFloatArray(), v -> 0.25, 1e-7);
        }
    }

    @Test
    void anyShapeAndTheSavedTensorDecides() {
        float[] x = {-2, -0.5f, 0, 0.5f, 2, 3};
        try (Tensor xt = Tensor.of(x, 1, 2, 3); Tensor y = OPS.relu(xt)) {
            assertArrayEquals(new int[] {1, 2, 3}, y.shape());
            assertArrayEquals(new float[] {0, 0, 0, 0.5f, 2, 3}, y.toFloatArray());
            // reluBackward reads the output it is given: gradOut flows where that is > 0
            float[] ones = {1, 1, 1, 1, 1, 1};
            try (Tensor d = OPS.reluBackward(Tensor.of(ones, 1, 2, 3), Tensor.of(new float[] {1, 0, 1, 0, 1, -1}, 1, 2, 3))) {
                assertArrayEquals(new float[] {1, 0, 1, 0, 1, 0}, d.toFloatArray());
            }
            try (Tensor d = OPS.tanhBackward(Tensor.of(ones, 1, 2, 3), Tensor.of(new float[] {0, 0.5f, -0.5f, 1, 0, 0}, 1, 2, 3))) {
                assertArrayEquals(new float[] {1, 0.75f, 0.75f, 0, 1, 1}, d.toFloatArray());
            }
            try (Tensor d = OPS.sigmoidBackward(Tensor.of(ones, 1, 2, 3), Tensor.of(new float[] {0.5f, 0, 1, 0.25f, 0.5f, 0.5f}, 1, 2, 3))) {
                assertEquals(0.25f, d.toFloatArray()[0]);
                assertEquals(0.1875f, d.toFloatArray()[3]);
            }
        }
    }
}
