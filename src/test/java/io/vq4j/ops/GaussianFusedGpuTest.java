package io.vq4j.ops;

import io.vq4j.TestData;
import io.vq4j.cuda.kernels.GaussianKlKernels.KlPlan;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * gaussian_fused_forward_f32 / gaussian_fused_backward_f32 (skipped without a GPU) against the CPU
 * fused twin and against the CUDA composition (reparameterize + klDivergence;
 * reparameterizeBackward + klBackward added on the host), outputs poisoned first. Tolerances: the
 * eps bound of {@link GaussianNormalGpuTest} scaled by exp(logvar/2) (and |gradZ|/2), a few fp32
 * roundings, and for the KL the per-term fp32 bound of {@link GaussianKlGpuTest}; all doubled.
 * Shapes cover every path of the forward: chunks with a float4 body only ([64, 256], [1 << 20]),
 * with a head and a tail in every chunk (odd PER_SAMPLE segments [13, 207], [4, 1000003]), one
 * element per sample ([1000003] PER_SAMPLE), several chunks per segment, and 64M + 3 elements.
 */
class GaussianFusedGpuTest extends GaussianCommonGpuTest {

    static final int[][] SHAPES = {
            {1}, {13}, {207}, {1000003}, {13, 207}, {4, 1000003}, {13, 3, 5, 7}, {64, 256}, {1 << 20}, {1000, 1, 4, 4},
    };

    private static float[][] inputs(long seed, int n) {
        return new float[][] {TestData.gaussian(seed, n, 1.5), TestData.uniform(seed + 1, n, -4, 3),
                TestData.gaussian(seed + 2, n, 1.0)};
    }

    private void forward(long seed, long offset, KlReduction[] reductions, int... shape) {
        int n = (int) Tensor.numel(shape), b = shape[0];
        float[][] in = inputs(seed, n);
        float[] mu = in[0], lv = in[1];
        float[] eps = cpu.standardNormal(seed, offset, n).toFloatArray();
        double[] perSample = new double[b];
        int len = n / b;
        for (int i = 0; i < n; i++) perSample[i / len] += 0.5 * ((double) mu[i] * mu[i] + Math.abs(Math.expm1(lv[i])) + Math.abs(lv[i]));
        double total = Arrays.stream(perSample).sum();
        try (Tensor m = up(mu, shape); Tensor l = up(lv, shape)) {
            for (KlReduction r : reductions) {
                String what = "gaussianLatentForward(" + r + ")" + Arrays.toString(shape) + " seed=" + seed + " offset=" + offset;
                float[] cz, ckl, gz, gkl, hz, hkl;
                try (GaussianLatentStep ref = cpu.gaussianLatentForward(Tensor.of(mu, shape), Tensor.of(lv, shape), seed, offset, r)) {
                    cz = ref.z().toFloatArray();
                    ckl = ref.kl().toFloatArray();
                }
                poisonPool(2L * n + b + 64);
                try (GaussianLatentStep step = gpu.gaussianLatentForward(m, l, seed, offset, r)) {
                    assertArrayEquals(shape, step.z().shape(), what);
                    assertArrayEquals(r == KlReduction.PER_SAMPLE ? new int[] {b} : new int[] {1}, step.kl().shape(), what);
                    gz = step.z().toFloatArray();
                    gkl = step.kl().toFloatArray();
                }
                poisonPool(2L * n + b + 64);
                try (Reparameterized rep = gpu.reparameterize(m, l, seed, offset, false); Tensor kl = gpu.klDivergence(m, l, r)) {
                    hz = rep.z().toFloatArray();
                    hkl = kl.toFloatArray();
                }
                Errors ez = new Errors(), ezc = new Errors(), ek = new Errors(), ekc = new Errors();
                for (int i = 0; i < n; i++) {
                    double std = Math.exp(0.5 * lv[i]);
                    double tolEps = GaussianNormalGpuTest.RTOL * Math.abs(eps[i]) + GaussianNormalGpuTest.ATOL;
                    ez.add(i, gz[i], cz[i], 2 * (std * (tolEps + 3e-7 * Math.abs(eps[i])) + 2e-7 * (Math.abs(mu[i]) + Math.abs(cz[i]))));
                    ezc.add(i, gz[i], hz[i], 4e-7 * (Math.abs(mu[i]) + std * Math.abs(eps[i])) + 1e-30);
                }
                for (int i = 0; i < ckl.length; i++) {
                    double size = r == KlReduction.PER_SAMPLE ? perSample[i] : r == KlReduction.SUM ? total : total / b;
                    ek.add(i, gkl[i], ckl[i], 1e-6 * Math.abs(ckl[i]) + 3e-7 * size + 1e-30);
                    ekc.add(i, gkl[i], hkl[i], 2e-6 * Math.abs(hkl[i]) + 6e-7 * size + 1e-30);
                }
                KlPlan plan = KlPlan.of(Math.max(n, 1), r == KlReduction.PER_SAMPLE ? b : 1);
                System.out.printf("[gpu] op=gaussianLatentForward(%s) n=%d shape=%s offset=%d chunkLen=%d chunksPerSegment=%d"
                                + " z vs cpu: %s | z vs cuda composition: %s | kl vs cpu: %s | kl vs cuda composition: %s%n",
                        r, n, Arrays.toString(shape), offset, plan.chunkLen(), plan.chunksPerSegment(), ez, ezc, ek, ekc);
                assertTrue(ez.ok(), "z vs cpu, " + what + ": " + ez);
                assertTrue(ezc.ok(), "z vs cuda reparameterize, " + what + ": " + ezc);
                assertTrue(ek.ok(), "kl vs cpu, " + what + ": " + ek + (ckl.length == 1 ? " got " + gkl[0] + " cpu " + ckl[0] : ""));
                assertTrue(ekc.ok(), "kl vs cuda klDivergence, " + what + ": " + ekc);
            }
        }
    }

    private void backward(long seed, long offset, float w, int... shape) {
        int n = (int) Tensor.numel(shape);
        float[][] in = inputs(seed, n);
        float[] mu = in[0], lv = in[1], g = in[2];
        float[] eps = cpu.standardNormal(seed, offset, n).toFloatArray();
        float[] cm, cl, gm, gl, hm, hl;
        try (GaussianGrads ref = cpu.gaussianLatentBackward(Tensor.of(g, shape), Tensor.of(mu, shape), Tensor.of(lv, shape), seed, offset, w)) {
            cm = ref.dMu().toFloatArray();
            cl = ref.dLogvar().toFloatArray();
        }
        try (Tensor tg = up(g, shape); Tensor tm = up(mu, shape); Tensor tl = up(lv, shape)) {
            poisonPool(2L * n + 64);
            try (GaussianGrads r = gpu.gaussianLatentBackward(tg, tm, tl, seed, offset, w)) {
                assertArrayEquals(shape, r.dMu().shape());
                gm = r.dMu().toFloatArray();
                gl = r.dLogvar().toFloatArray();
            }
            poisonPool(4L * n + 64);
            try (GaussianGrads rep = gpu.reparameterizeBackward(tg, tl, seed, offset); GaussianGrads kl = gpu.klBackward(tm, tl, w)) {
                hm = rep.dMu().toFloatArray();
                hl = rep.dLogvar().toFloatArray();
                float[] km = kl.dMu().toFloatArray(), kv = kl.dLogvar().toFloatArray();
                for (int i = 0; i < n; i++) {
                    hm[i] += km[i];
                    hl[i] += kv[i];
                }
            }
        }
        Errors em = new Errors(), emc = new Errors(), el = new Errors(), elc = new Errors();
        for (int i = 0; i < n; i++) {
            double wm = Math.abs((double) w * mu[i]);
            double scale = Math.abs(g[i]) * 0.5 * Math.exp(0.5 * lv[i]);
            double rep = scale * Math.abs(eps[i]), klp = Math.abs(0.5 * w * Math.expm1(lv[i]));
            double tolEps = GaussianNormalGpuTest.RTOL * Math.abs(eps[i]) + GaussianNormalGpuTest.ATOL;
            em.add(i, gm[i], cm[i], 4e-7 * (Math.abs(g[i]) + wm) + 1e-30);
            emc.add(i, gm[i], hm[i], 4e-7 * (Math.abs(g[i]) + wm) + 1e-30);
            el.add(i, gl[i], cl[i], 2 * (scale * tolEps + 6e-7 * (rep + klp)) + 1e-30);
            elc.add(i, gl[i], hl[i], 1.2e-6 * (rep + klp) + 1e-30);
        }
        String what = "gaussianLatentBackward" + Arrays.toString(shape) + " w=" + w + " seed=" + seed + " offset=" + offset;
        System.out.printf("[gpu] op=gaussianLatentBackward n=%d shape=%s offset=%d w=%s dMu vs cpu: %s | dMu vs cuda composition: %s"
                        + " | dLogvar vs cpu: %s | dLogvar vs cuda composition: %s%n",
                n, Arrays.toString(shape), offset, w, em, emc, el, elc);
        assertTrue(em.ok(), "dMu vs cpu, " + what + ": " + em);
        assertTrue(emc.ok(), "dMu vs cuda composition, " + what + ": " + emc);
        assertTrue(el.ok(), "dLogvar vs cpu, " + what + ": " + el);
        assertTrue(elc.ok(), "dLogvar vs cuda composition, " + what + ": " + elc);
    }

    @Test
    void forwardMatchesCpuAndComposition() {
        int c = 0;
        for (int[] shape : SHAPES) {
            forward(runSeed + c, OFFSETS[c % OFFSETS.length], KlReduction.values(), shape);
            c++;
        }
    }

    @Test
    void forwardLarge() {
        forward(runSeed ^ 0x5151, 77, new KlReduction[] {KlReduction.SUM, KlReduction.MEAN}, LARGE);
        forward(runSeed ^ 0x7373, 5, new KlReduction[] {KlReduction.PER_SAMPLE}, 67, 1000001); // 67M, odd segments
    }

    @Test
    void backwardMatchesCpuAndComposition() {
        int c = 0;
        for (int[] shape : SHAPES) {
            backward(runSeed + 100 + c, OFFSETS[c % OFFSETS.length], c % 2 == 0 ? 1f / 64 : 2.5f, shape);
            c++;
        }
        backward(runSeed ^ 0x9191, (1L << 32) + 5, 0.1f, LARGE);
    }

    @Test
    void forwardIsDeterministic() {
        int[] shape = {4, 1000003};
        float[][] in = inputs(runSeed, 4000012);
        try (Tensor m = up(in[0], shape); Tensor l = up(in[1], shape)) {
            for (KlReduction r : KlReduction.values()) {
                float[] a, b;
                try (GaussianLatentStep s = gpu.gaussianLatentForward(m, l, 3, 1, r)) { a = s.kl().toFloatArray(); }
                try (GaussianLatentStep s = gpu.gaussianLatentForward(m, l, 3, 1, r)) { b = s.kl().toFloatArray(); }
                for (int i = 0; i < a.length; i++) {
                    if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                        throw new AssertionError("kl(" + r + ") not deterministic at " + i + ": " + bitsOf(a[i]) + " then " + bitsOf(b[i])
                                + ", seed=" + runSeed);
                    }
                }
            }
        }
    }
}
