package io.vq4j.ops;

import io.vq4j.TestData;
import io.vq4j.ops.NearestReference.Case;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CPU quantize twin against references written here from the definitions. */
class QuantizeTest {
    private final Ops ops = new CpuOps();

    static Stream<Case> cases() {
        return Stream.of(
                Case.rows(1, 1, 1),
                Case.rows(13, 3, 2),
                Case.rows(13, 4, 257),
                Case.rows(207, 64, 1024),
                Case.rows(1_000_003, 4, 13),
                Case.rows(50, 256, 1),
                Case.nchw(3, 64, 5, 7, 512),
                Case.nchw(2, 3, 1, 1, 2),
                Case.nchw(1, 4, 13, 1, 257),
                Case.nchw(4, 1, 17, 9, 13));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesDefinition(Case c) {
        long seed = System.nanoTime();
        float[] z = TestData.gaussian(seed, c.n() * c.d(), 2.0);
        float[] e = TestData.gaussian(seed + 1, c.k() * c.d(), 1.0);
        int[] idx = TestData.ints(seed + 2, c.n(), c.k());
        try (Quantized q = ops.quantize(Tensor.of(z, c.zShape()), Tensor.of(e, c.k(), c.d()), Tensor.ofInts(idx, c.indexShape()))) {
            assertArrayEquals(c.zShape(), q.zq().shape());
            assertArrayEquals(c.zShape(), q.straightThrough().shape());
            assertArrayEquals(new int[] {2}, q.losses().shape());
            float[] zq = q.zq().toFloatArray(), st = q.straightThrough().toFloatArray();
            for (int n = 0; n < c.n(); n++) {
                for (int i = 0; i < c.d(); i++) {
                    int o = c.offset(n, i);
                    float want = e[idx[n] * c.d() + i];
                    if (Float.floatToRawIntBits(zq[o]) != Float.floatToRawIntBits(want)) {
                        throw new AssertionError(c + " seed=" + seed + ": zq(" + n + ", " + i + ") = " + zq[o] + ", want " + want);
                    }
                    // PyTorch's z + (zq - z), each step rounded to fp32 (Java float arithmetic is exactly that)
                    float diff = want - z[o];
                    float wantSt = z[o] + diff;
                    if (Float.floatToRawIntBits(st[o]) != Float.floatToRawIntBits(wantSt)) {
                        throw new AssertionError(c + " seed=" + seed + ": st(" + n + ", " + i + ") = " + st[o] + ", want " + wantSt);
                    }
                }
            }
            double ref = NearestReference.loss(c, z, e, idx);
            float[] losses = q.losses().toFloatArray();
            double rel0 = Math.abs(losses[0] - ref) / ref, rel1 = Math.abs(losses[1] - ref) / ref;
            System.out.printf("[cpu] op=quantize %s lossRelErr=%.3g%n", c, Math.max(rel0, rel1));
            assertTrue(rel0 <= 1e-6 && rel1 <= 1e-6, () -> c + " seed=" + seed + ": losses " + losses[0] + ", "
                    + losses[1] + " vs " + ref);
            assertEquals(losses[0], q.codebookLoss(), 0.0);
            assertEquals(losses[1], q.commitmentLoss(), 0.0);
        }
    }

    /** z exactly on its codes: zq == st == z and zero loss. */
    @Test
    void exactCodesGiveZeroLoss() {
        Case c = Case.nchw(2, 5, 3, 4, 7);
        float[] e = TestData.gaussian(1, c.k() * c.d(), 1.0);
        int[] idx = TestData.ints(2, c.n(), c.k());
        float[] z = new float[c.n() * c.d()];
        for (int n = 0; n < c.n(); n++) for (int i = 0; i < c.d(); i++) z[c.offset(n, i)] = e[idx[n] * c.d() + i];
        try (Quantized q = ops.quantize(Tensor.of(z, c.zShape()), Tensor.of(e, c.k(), c.d()), Tensor.ofInts(idx, c.indexShape()))) {
            assertArrayEquals(z, q.zq().toFloatArray());
            assertArrayEquals(z, q.straightThrough().toFloatArray());
            assertArrayEquals(new float[] {0f, 0f}, q.losses().toFloatArray());
        }
    }

    @Test
    void badIndicesNameThePositionAndValue() {
        int k = 512, d = 64, n = 10;
        Tensor e = Tensor.of(TestData.gaussian(1, k * d, 1.0), k, d);
        Tensor z = Tensor.of(TestData.gaussian(2, n * d, 1.0), n, d);
        int[] idx = new int[n];
        idx[5] = 600;
        idx[7] = -1;
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> ops.quantize(z, e, Tensor.ofInts(idx, n)));
        assertEquals("indices[5] = 600 is outside [0, 512) for codebook [512, 64]", ex.getMessage());

        idx[5] = 511; // the last valid code
        ex = assertThrows(IllegalArgumentException.class, () -> ops.quantize(z, e, Tensor.ofInts(idx, n)));
        assertEquals("indices[7] = -1 is outside [0, 512) for codebook [512, 64]", ex.getMessage());

        idx[7] = 512;
        ex = assertThrows(IllegalArgumentException.class, () -> ops.quantize(z, e, Tensor.ofInts(idx, n)));
        assertEquals("indices[7] = 512 is outside [0, 512) for codebook [512, 64]", ex.getMessage());
    }

    /** quantize(nearestCode) is the nearest code, and its loss is the mean of the reported distances. */
    @Test
    void lossOfNearestCodesIsMeanDistance() {
        Case c = Case.nchw(3, 16, 6, 5, 64);
        float[][] data = NearestReference.data(c, 21);
        Tensor z = Tensor.of(data[0], c.zShape()), e = Tensor.of(data[1], c.k(), c.d());
        try (NearestCode nc = ops.nearestCode(z, e, true); Quantized q = ops.quantize(z, e, nc.indices())) {
            double sum = 0;
            for (float v : nc.distances().toFloatArray()) sum += v;
            double mean = sum / ((double) c.n() * c.d());
            assertEquals(mean, q.codebookLoss(), 1e-5 * mean);
        }
    }
}
