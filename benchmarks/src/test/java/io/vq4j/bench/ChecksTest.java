package io.vq4j.bench;

import io.vq4j.ops.CpuOps;
import io.vq4j.ops.GaussianGrads;
import io.vq4j.ops.NearestCode;
import io.vq4j.ops.NearestQuantized;
import io.vq4j.ops.Ops;
import io.vq4j.ops.Quantized;
import io.vq4j.ops.Reparameterized;
import io.vq4j.ops.Tensor;
import io.vq4j.ops.VqGrads;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GpuBench's correctness checks, checked here without a GPU: with the CPU twin standing in for
 * the GPU they must pass, and with one of its results corrupted by a small amount they must fail.
 * Sizes cover the sliced paths (more rows than are compared, a tail slice).
 */
class ChecksTest {
    private final CpuOps cpu = new CpuOps();

    /** The CPU backend, with {@code corrupt} applied to what {@code method} returns. */
    private Ops corrupting(String method, Consumer<Object> corrupt) {
        return (Ops) Proxy.newProxyInstance(Ops.class.getClassLoader(), new Class<?>[] {Ops.class}, (p, m, a) -> {
            Object r;
            try {
                r = m.invoke(cpu, a);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            if (m.getName().equals(method)) corrupt.accept(r);
            return r;
        });
    }

    // ---- VQ -----------------------------------------------------------------------------

    private static final int N = VqChecks.CHECK_ROWS + 13, D = 3, K = 257;
    private final Tensor z = Tensor.of(BenchData.normal(1, N * D), N, D);
    private final Tensor e = Tensor.of(BenchData.normal(2, K * D), K, D);
    private final Tensor g = Tensor.of(BenchData.normal(3, N * D), N, D);

    private Check nearest(Ops gpu) { return VqChecks.nearestQuantize(gpu, cpu, z, e, N, D, K); }

    private Check backward(Ops gpu, boolean det) { return VqChecks.backward(gpu, cpu, g, z, e, N, D, K, 0.25f, det); }

    @Test
    void vqChecksPassOnTheTwin() {
        Check c = nearest(cpu);
        assertTrue(c.ok(), c.detail());
        assertTrue(c.detail().contains(" 0 indices differ"), c.detail());
        Check b = backward(cpu, false);
        assertTrue(b.ok(), b.detail());
    }

    @Test
    void fusedCheckPassesOnTheTwinAndCatchesAWrongRowOrIndex() {
        Check ok = VqChecks.fusedNearestQuantize(cpu, z, e, N, D, K);
        assertTrue(ok.ok(), ok.detail());
        assertFalse(VqChecks.fusedNearestQuantize(corrupting("nearestQuantize",
                r -> ((NearestQuantized) r).zq().hostFloats()[5] += 1e-3f), z, e, N, D, K).ok());
        assertFalse(VqChecks.fusedNearestQuantize(corrupting("nearestQuantize", r -> {
            int[] idx = ((NearestQuantized) r).indices().hostInts();
            idx[N - 1] = (idx[N - 1] + 1) % K;
        }), z, e, N, D, K).ok());
    }

    @Test
    void nearestCheckCatchesAFartherCode() {
        Check c = nearest(corrupting("nearestCode", r -> {
            int[] idx = ((NearestCode) r).indices().hostInts();
            idx[7] = (idx[7] + 1) % K;
        }));
        assertFalse(c.ok(), c.detail());
    }

    @Test
    void nearestCheckCatchesAnIndexOutOfRangePastTheComparedRows() {
        Check c = nearest(corrupting("nearestCode", r -> ((NearestCode) r).indices().hostInts()[N - 1] = K));
        assertFalse(c.ok(), c.detail());
    }

    @Test
    void quantizeCheckCatchesWrongZqAndLoss() {
        assertFalse(nearest(corrupting("quantize", r -> ((Quantized) r).zq().hostFloats()[5] += 1e-3f)).ok());
        assertFalse(nearest(corrupting("quantize", r -> ((Quantized) r).straightThrough().hostFloats()[5] += 1e-3f)).ok());
        assertFalse(nearest(corrupting("quantize", r -> ((Quantized) r).losses().hostFloats()[1] *= 1.001f)).ok());
    }

    @Test
    void backwardCheckCatchesWrongGradientsAndCounts() {
        assertFalse(backward(corrupting("vqBackward", r -> ((VqGrads) r).gradCodebook().hostFloats()[9] += 1e-4f), true).ok());
        assertFalse(backward(corrupting("vqBackward", r -> ((VqGrads) r).gradZ().hostFloats()[N * D - 1] += 1e-4f), true).ok());
        assertFalse(backward(corrupting("vqBackward", r -> ((VqGrads) r).counts().hostInts()[0]++), true).ok());
    }

    // ---- Gaussian -----------------------------------------------------------------------

    private static final int M = GaussianChecks.SLICE + 13;
    private final Tensor mu = Tensor.of(BenchData.normal(4, M), M);
    private final Tensor lv = Tensor.of(BenchData.normal(5, M), M);
    private final Tensor ones = Tensor.of(filled(M, 1f), M);

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    @Test
    void gaussianChecksPassOnTheTwin() {
        Check r = GaussianChecks.reparameterize(cpu, cpu, mu, lv, M, 42, 7);
        assertTrue(r.ok(), r.detail());
        Check k = GaussianChecks.klSum(cpu, cpu, mu, lv, M);
        assertTrue(k.ok(), k.detail());
        Check b = GaussianChecks.backward(cpu, cpu, mu, lv, ones, M, 42, 7);
        assertTrue(b.ok(), b.detail());
    }

    @Test
    void reparameterizeCheckCatchesAWrongTailAndHead() {
        assertFalse(GaussianChecks.reparameterize(corrupting("reparameterize",
                r -> ((Reparameterized) r).z().hostFloats()[M - 1] += 1e-3f), cpu, mu, lv, M, 42, 7).ok());
        assertFalse(GaussianChecks.reparameterize(corrupting("reparameterize",
                r -> ((Reparameterized) r).z().hostFloats()[0] += 1e-3f), cpu, mu, lv, M, 42, 7).ok());
    }

    @Test
    void klChecksCatchWrongValues() {
        assertFalse(GaussianChecks.klSum(corrupting("klDivergence", r -> ((Tensor) r).hostFloats()[0] *= 1.0001f),
                cpu, mu, lv, M).ok());
        assertFalse(GaussianChecks.backward(corrupting("klBackward", r -> ((GaussianGrads) r).dLogvar().hostFloats()[3] += 1e-3f),
                cpu, mu, lv, ones, M, 42, 7).ok());
        assertFalse(GaussianChecks.backward(corrupting("reparameterizeBackward",
                r -> ((GaussianGrads) r).dMu().hostFloats()[3] += 1e-6f), cpu, mu, lv, ones, M, 42, 7).ok());
    }
}
