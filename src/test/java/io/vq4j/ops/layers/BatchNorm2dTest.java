package io.vq4j.ops.layers;

import io.vq4j.TestData;
import io.vq4j.ops.BatchNormOut;
import io.vq4j.ops.BatchNormState;
import io.vq4j.ops.CpuLayerOps;
import io.vq4j.ops.LayerGrads;
import io.vq4j.ops.LayerOps;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CPU BatchNorm2d: training forward with running statistics, eval forward, training backward. */
class BatchNorm2dTest {
    static final LayerOps OPS = new CpuLayerOps();
    static final double EPS = 1e-5;

    /** x [n, c, h, w] drawn as offset + scale * N(0, 1). */
    record Case(int n, int c, int h, int w, double offset, double scale, float momentum) {
        int plane() { return h * w; }
        int size() { return n * c * h * w; }
        int probes() { return size() > 100_000 ? 4 : 24; }
        @Override public String toString() {
            return "x[" + n + "," + c + "," + h + "," + w + "] ~ " + offset + " + " + scale + "*N(0,1) momentum " + momentum;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case(2, 1, 7, 5, 0, 1, 0.1f),
                new Case(1, 3, 1, 2, 0, 1, 0.1f),          // two values per channel, the least training allows
                new Case(13, 4, 3, 3, 0.5, 2, 0.1f),
                new Case(3, 64, 4, 4, 0, 1, 0.3f),
                new Case(4, 3, 5, 7, 10, 0.1, 0.1f),       // mean 100x the spread: cancellation
                new Case(2, 5, 16, 16, -1, 1, 1f),
                new Case(1_000_003, 1, 1, 1, 0, 1, 0.1f)); // a million values in one channel
    }

    static float[] input(Case k, long seed) {
        float[] x = TestData.gaussian(seed, k.size(), k.scale);
        for (int i = 0; i < x.length; i++) x[i] += (float) k.offset;
        return x;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void trainForwardAndRunningStatistics(Case k) {
        long seed = k.hashCode();
        float[] x = input(k, seed);
        float[] gamma = TestData.uniform(seed + 1, k.c, 0.5, 1.5), beta = TestData.gaussian(seed + 2, k.c, 1.0);
        float[] rm0 = TestData.gaussian(seed + 3, k.c, 1.0), rv0 = TestData.uniform(seed + 4, k.c, 0.5, 2.0);
        BatchNormState running = new BatchNormState(Tensor.of(rm0.clone(), k.c), Tensor.of(rv0.clone(), k.c));

        double[] xd = Naive.toDouble(x);
        double[][] st = Naive.channelStats(xd, k.n, k.c, k.plane());
        double[] y = Naive.normalize(xd, st[0], st[1], Naive.toDouble(gamma), Naive.toDouble(beta), k.n, k.c, k.plane(), EPS);
        double m = (double) k.n * k.plane();
        double[] invstd = new double[k.c], rm = new double[k.c], rv = new double[k.c];
        for (int c = 0; c < k.c; c++) {
            invstd[c] = 1 / Math.sqrt(st[1][c] + EPS);
            rm[c] = (1 - k.momentum) * rm0[c] + k.momentum * st[0][c];
            rv[c] = (1 - k.momentum) * rv0[c] + k.momentum * st[1][c] * m / (m - 1); // unbiased, as PyTorch
        }
        try (BatchNormOut out = OPS.batchNorm2dTrain(Tensor.of(x, k.n, k.c, k.h, k.w), Tensor.of(gamma, k.c),
                Tensor.of(beta, k.c), running, k.momentum, (float) EPS)) {
            assertArrayEquals(new int[] {k.n, k.c, k.h, k.w}, out.y().shape());
            double ey = TestData.relError(out.y().toFloatArray(), y);
            double em = TestData.maxScaledError(out.saveMean().toFloatArray(), st[0], 1e-6 * k.scale, 1e-6);
            double ei = TestData.relError(out.saveInvstd().toFloatArray(), invstd);
            double erm = TestData.relError(running.runningMean().toFloatArray(), rm);
            double erv = TestData.relError(running.runningVar().toFloatArray(), rv);
            System.out.printf("[cpu] op=batchNorm2dTrain %s relErr y=%.2e invstd=%.2e runningMean=%.2e runningVar=%.2e mean(scaled)=%.2f%n",
                    k, ey, ei, erm, erv, em);
            assertTrue(ey < 1e-6, "batchNorm2dTrain " + k + ": y relErr " + ey);
            assertTrue(em <= 1 && ei < 1e-6, "batchNorm2dTrain " + k + ": saveMean " + em + " saveInvstd " + ei);
            assertTrue(erm < 1e-6 && erv < 1e-6, "batchNorm2dTrain " + k + ": running mean " + erm + " var " + erv);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void evalForwardUsesRunningStatistics(Case k) {
        long seed = k.hashCode() + 7;
        float[] x = input(k, seed);
        float[] gamma = TestData.uniform(seed + 1, k.c, 0.5, 1.5), beta = TestData.gaussian(seed + 2, k.c, 1.0);
        float[] rm = TestData.gaussian(seed + 3, k.c, 1.0), rv = TestData.uniform(seed + 4, k.c, 0.5, 2.0);
        double[] ref = Naive.normalize(Naive.toDouble(x), Naive.toDouble(rm), Naive.toDouble(rv), Naive.toDouble(gamma),
                Naive.toDouble(beta), k.n, k.c, k.plane(), EPS);
        BatchNormState running = new BatchNormState(Tensor.of(rm.clone(), k.c), Tensor.of(rv.clone(), k.c));
        try (Tensor y = OPS.batchNorm2dEval(Tensor.of(x, k.n, k.c, k.h, k.w), Tensor.of(gamma, k.c), Tensor.of(beta, k.c),
                running)) {
            double err = TestData.relError(y.toFloatArray(), ref);
            System.out.printf("[cpu] op=batchNorm2dEval %s relErr=%.2e%n", k, err);
            assertTrue(err < 1e-6, "batchNorm2dEval " + k + ": relErr " + err);
            assertArrayEquals(rm, running.runningMean().toFloatArray(), "eval must not touch the running mean");
            assertArrayEquals(rv, running.runningVar().toFloatArray(), "eval must not touch the running var");
        }
    }

    /**
     * With two values per channel, y = +-gamma + beta whatever x is, so dx is ~eps/var, pure
     * rounding noise: no relative error means anything there.
     */
    static Stream<Case> backwardCases() {
        return cases().filter(k -> (long) k.n * k.plane() > 2);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backwardCases")
    void backwardMatchesFiniteDifferences(Case k) {
        long seed = k.hashCode() * 31L;
        float[] x = input(k, seed);
        float[] gamma = TestData.uniform(seed + 1, k.c, 0.5, 1.5), beta = TestData.gaussian(seed + 2, k.c, 1.0);
        float[] g = TestData.gaussian(seed + 3, k.size(), 1.0);
        Tensor xt = Tensor.of(x, k.n, k.c, k.h, k.w), gt = Tensor.of(gamma, k.c);
        try (BatchNormOut out = OPS.batchNorm2dTrain(xt, gt, Tensor.of(beta, k.c), null);
             LayerGrads grads = OPS.batchNorm2dBackward(Tensor.of(g, k.n, k.c, k.h, k.w), xt, gt,
                     out.saveMean(), out.saveInvstd())) {
            double[] gd = Naive.toDouble(g);
            double[][] params = {Naive.toDouble(x), Naive.toDouble(gamma), Naive.toDouble(beta)};
            ToDoubleFunction<double[][]> loss = p -> Naive.dot(gd,
                    Naive.batchNormTrain(p[0], p[1], p[2], k.n, k.c, k.plane(), EPS));
            // The loss is smooth: central differences are exact to O(h^2); h is relative to x's spread.
            double h = 1e-4 * k.scale;
            int[] cx = Naive.coords(x.length, k.probes(), seed), cc = Naive.coords(k.c, k.probes(), seed + 1);
            double ex = Naive.relError(Naive.pick(grads.dInput().toFloatArray(), cx),
                    Naive.finiteDifferences(loss, params, 0, cx, h));
            double eg = Naive.relError(Naive.pick(grads.dWeight().toFloatArray(), cc),
                    Naive.finiteDifferences(loss, params, 1, cc, 1e-4));
            double eb = Naive.relError(Naive.pick(grads.dBias().toFloatArray(), cc),
                    Naive.finiteDifferences(loss, params, 2, cc, 1e-4));
            System.out.printf("[cpu] op=batchNorm2dBackward %s fd relErr dx=%.2e dgamma=%.2e dbeta=%.2e%n", k, ex, eg, eb);
            assertTrue(ex < 1e-5 && eg < 1e-5 && eb < 1e-5,
                    "batchNorm2dBackward " + k + " vs finite differences: dx " + ex + " dgamma " + eg + " dbeta " + eb);
        }
    }

    @Test
    void trainWithoutRunningStatisticsAndDefaults() {
        float[] x = TestData.gaussian(5, 2 * 3 * 4 * 4, 1.0);
        float[] gamma = {1, 1, 1}, beta = {0, 0, 0};
        try (BatchNormState s = BatchNormState.initial(3);
             BatchNormOut a = OPS.batchNorm2dTrain(Tensor.of(x, 2, 3, 4, 4), Tensor.of(gamma, 3), Tensor.of(beta, 3), s);
             BatchNormOut b = OPS.batchNorm2dTrain(Tensor.of(x, 2, 3, 4, 4), Tensor.of(gamma, 3), Tensor.of(beta, 3), null)) {
            assertArrayEquals(a.y().toFloatArray(), b.y().toFloatArray());
            double[][] st = Naive.channelStats(Naive.toDouble(x), 2, 3, 16);
            float[] rm = s.runningMean().toFloatArray(), rv = s.runningVar().toFloatArray();
            for (int c = 0; c < 3; c++) {
                // from PyTorch's initial state (0, 1) with the default momentum 0.1
                assertTrue(Math.abs(rm[c] - 0.1 * st[0][c]) < 1e-6, "running mean " + rm[c]);
                assertTrue(Math.abs(rv[c] - (0.9 + 0.1 * st[1][c] * 32 / 31)) < 1e-6, "running var " + rv[c]);
            }
        }
    }
}
