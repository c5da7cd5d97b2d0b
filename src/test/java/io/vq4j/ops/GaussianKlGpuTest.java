package io.vq4j.ops;

import io.vq4j.TestData;
import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.kernels.GaussianKlKernels;
import io.vq4j.cuda.kernels.GaussianKlKernels.KlPlan;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * gaussian_kl_partial_f32 / gaussian_kl_finish_f32 / gaussian_kl_backward_f32 against the CPU
 * twin. The GPU rounds each term t = mu^2 + expm1(logvar) - logvar to fp32 (expm1f 1 ulp, a
 * subtraction, an fma: at most ~2.4e-7 of mu^2 + |expm1(logvar)| + |logvar|) and sums in fp64;
 * the CPU is fp64 throughout. Asserted: |gpu - cpu| <= 1e-6 |cpu| + 3e-7 * scale * sum(mu^2 +
 * |expm1(logvar)| + |logvar|) per output, and bitwise equal results on repeated runs.
 */
class GaussianKlGpuTest extends GaussianCommonGpuTest {

    /**
     * Every path of the plan: one chunk per segment with float4 loads ([64, 256]) or scalar loads
     * ([13, 207], [1000003]: one element per sample), several chunks per segment with float4
     * ([2, 65536], [1048576]) or scalar loads ([1, 1000003], [4, 1000003]), plus B = 1 and 13 and NCHW.
     */
    static final int[][] SHAPES = {
            {1}, {13}, {207}, {1000003}, {1, 1}, {13, 1}, {13, 207}, {1, 1000003}, {4, 1000003}, {13, 3, 5, 7},
            {64, 256}, {2, 65536}, {1 << 20}, {1000, 1, 4, 4},
    };

    private static float[][] inputs(long seed, int n) {
        float[] mu = TestData.gaussian(seed, n, 1.5), lv = TestData.uniform(seed + 1, n, -5, 3);
        for (int i = 0; i < Math.min(n, 4); i++) lv[i] = i == 0 ? 0f : (float) Math.pow(10, -2 - 2 * i);
        return new float[][] {mu, lv};
    }

    /** Per-sample 1/2 sum(mu^2 + |expm1(logvar)| + |logvar|): the size the fp32 rounding is relative to. */
    private static double[] sizes(float[] mu, float[] lv, int segments) {
        double[] s = new double[segments];
        int len = mu.length / segments;
        for (int i = 0; i < mu.length; i++) {
            s[i / len] += 0.5 * ((double) mu[i] * mu[i] + Math.abs(Math.expm1(lv[i])) + Math.abs(lv[i]));
        }
        return s;
    }

    private void forward(long seed, int... shape) {
        int n = (int) Tensor.numel(shape), b = shape[0];
        float[][] in = inputs(seed, n);
        double[] perSampleSize = sizes(in[0], in[1], b);
        double totalSize = Arrays.stream(perSampleSize).sum();
        try (Tensor mu = up(in[0], shape); Tensor lv = up(in[1], shape)) {
            for (KlReduction r : KlReduction.values()) {
                float[] ref = cpu.klDivergence(Tensor.of(in[0], shape), Tensor.of(in[1], shape), r).toFloatArray();
                poisonPool(Math.max(b, 1) + 64);
                float[] got, again;
                try (Tensor out = gpu.klDivergence(mu, lv, r)) {
                    assertArrayEquals(r == KlReduction.PER_SAMPLE ? new int[] {b} : new int[] {1}, out.shape());
                    got = out.toFloatArray();
                }
                try (Tensor out = gpu.klDivergence(mu, lv, r)) {
                    again = out.toFloatArray();
                }
                Errors e = new Errors();
                for (int i = 0; i < ref.length; i++) {
                    double size = r == KlReduction.PER_SAMPLE ? perSampleSize[i] : r == KlReduction.SUM ? totalSize : totalSize / b;
                    e.add(i, got[i], ref[i], 1e-6 * Math.abs(ref[i]) + 3e-7 * size + 1e-30);
                }
                KlPlan plan = KlPlan.of(n, r == KlReduction.PER_SAMPLE ? b : 1);
                System.out.printf("[gpu] op=klDivergence(%s) n=%d shape=%s chunkLen=%d chunksPerSegment=%d %s%n",
                        r, n, Arrays.toString(shape), plan.chunkLen(), plan.chunksPerSegment(), e);
                String what = "klDivergence(" + r + ")" + Arrays.toString(shape) + " seed=" + seed;
                assertTrue(e.ok(), what + ": " + e + (ref.length == 1 ? " got " + got[0] + " cpu " + ref[0] : ""));
                for (int i = 0; i < got.length; i++) {
                    if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(again[i])) {
                        throw new AssertionError(what + " is not deterministic at " + i + ": " + bitsOf(got[i]) + " then " + bitsOf(again[i]));
                    }
                }
            }
        }
    }

    @Test
    void allReductionsMatchCpuTwinAndRepeatBitForBit() {
        for (int c = 0; c < SHAPES.length; c++) forward(runSeed + c, SHAPES[c]);
    }

    @Test
    void largeReductions() {
        forward(runSeed ^ 0x7777, 16, 1 << 22);  // 64M elements, several chunks per sample, float4
        forward(runSeed ^ 0x8888, LARGE);        // 64M + 3, one segment, scalar loads
    }

    @Test
    void emptyInputs() {
        try (Tensor e30 = up(new float[0], 3, 0); Tensor e04 = up(new float[0], 0, 4);
             Tensor per = gpu.klDivergence(e30, e30, KlReduction.PER_SAMPLE);
             Tensor sum = gpu.klDivergence(e30, e30, KlReduction.SUM);
             Tensor mean0 = gpu.klDivergence(e04, e04, KlReduction.MEAN);
             Tensor per0 = gpu.klDivergence(e04, e04, KlReduction.PER_SAMPLE)) {
            assertArrayEquals(new float[3], per.toFloatArray());
            assertEquals(0f, sum.item());
            assertTrue(Float.isNaN(mean0.item()), "MEAN over B = 0 is 0/0, as on the CPU");
            assertArrayEquals(new int[] {0}, per0.shape());
        }
    }

    /** Pass one and two write exactly the outputs and nothing past them. */
    @Test
    void launchersWriteExactlyTheOutputs() {
        Cuda.Runtime rt = gpu.runtime();
        int[][] shapes = {{13, 207}, {4, 1000003}, {2, 65536}};
        for (int[] shape : shapes) {
            int n = (int) Tensor.numel(shape), b = shape[0];
            float[][] in = inputs(runSeed, n);
            KlPlan plan = KlPlan.of(n, b);
            float[] ref = cpu.klDivergence(Tensor.of(in[0], shape), Tensor.of(in[1], shape), KlReduction.PER_SAMPLE).toFloatArray();
            try (Tensor mu = up(in[0], shape); Tensor lv = up(in[1], shape);
                 DeviceBuffer out = new DeviceBuffer(rt.stream(), 4L * (b + 8));
                 DeviceBuffer partial = plan.needsPartials() ? new DeviceBuffer(rt.stream(), plan.partialBytes()) : null) {
                out.fill32(TestData.POISON_BITS);
                GaussianKlKernels.partial(rt, new GaussianKlKernels.KlPartialParams(
                        partial, partial == null ? out : null, mu.deviceBuffer(), lv.deviceBuffer(), plan, 0.5));
                if (partial != null) {
                    GaussianKlKernels.finish(rt, new GaussianKlKernels.KlFinishParams(out, partial, plan, 0.5));
                }
                float[] got = new float[b + 8];
                out.copyTo(got, 0, 0, b + 8);
                for (int i = 0; i < b; i++) {
                    assertEquals(ref[i], got[i], 1e-5 * Math.abs(ref[i]), Arrays.toString(shape) + " sample " + i);
                }
                for (int i = b; i < b + 8; i++) {
                    assertEquals(TestData.POISON_BITS, Float.floatToRawIntBits(got[i]), Arrays.toString(shape) + ": out[" + i + "] written");
                }
            }
        }
    }

    private void backward(long seed, float weight, int... shape) {
        int n = (int) Tensor.numel(shape);
        float[][] in = inputs(seed, n);
        GaussianGrads ref = cpu.klBackward(Tensor.of(in[0], shape), Tensor.of(in[1], shape), weight);
        float[] cm = ref.dMu().toFloatArray(), cl = ref.dLogvar().toFloatArray();
        float[] gm, gl;
        try (Tensor mu = up(in[0], shape); Tensor lv = up(in[1], shape)) {
            poisonPool(2L * n + 64);
            try (GaussianGrads g = gpu.klBackward(mu, lv, weight)) {
                assertArrayEquals(shape, g.dMu().shape());
                gm = g.dMu().toFloatArray();
                gl = g.dLogvar().toFloatArray();
            }
        }
        String what = "klBackward" + Arrays.toString(shape) + " weight=" + weight + " seed=" + seed;
        for (int i = 0; i < n; i++) {
            if (Float.floatToRawIntBits(gm[i]) != Float.floatToRawIntBits(cm[i])) {
                throw new AssertionError(what + ": dMu[" + i + "] = " + bitsOf(gm[i]) + ", cpu " + bitsOf(cm[i]));
            }
        }
        Errors e = new Errors();
        // expm1f (1 ulp) and one product against the CPU's single rounding: ~2.4e-7 relative.
        for (int i = 0; i < n; i++) e.add(i, gl[i], cl[i], 1e-6 * Math.abs(cl[i]) + Float.MIN_NORMAL);
        System.out.printf("[gpu] op=klBackward n=%d weight=%s dLogvar: %s%n", n, weight, e);
        assertTrue(e.ok(), what + ": " + e);
    }

    @Test
    void backwardMatchesCpuTwin() {
        int c = 0;
        for (int n : SIZES) backward(runSeed + c++, 0.5f + c, n);
        backward(runSeed + c++, -1.25f, 13, 3, 5, 7);
        backward(runSeed + c, 1f / 64, LARGE);
    }
}
