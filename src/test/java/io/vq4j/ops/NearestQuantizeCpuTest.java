package io.vq4j.ops;

import io.vq4j.ops.NearestReference.Case;
import io.vq4j.ops.NearestReference.Comparison;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The CPU twin of the fused nearestQuantize against the double reference and the unfused ops, the
 * facade's argument checks for it, and the CUDA search-path rule (a pure function, no GPU needed).
 */
class NearestQuantizeCpuTest {
    private final Ops ops = new CpuOps();

    static Stream<Case> cases() {
        return Stream.of(
                Case.rows(1, 1, 1),
                Case.rows(13, 3, 13),
                Case.rows(207, 4, 207),
                Case.rows(100, 7, 1024),
                Case.rows(300, 64, 257),
                Case.rows(20, 256, 1000),
                Case.nchw(3, 13, 5, 7, 207),
                Case.nchw(2, 1, 3, 1, 2),
                Case.nchw(1, 100, 4, 3, 13));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void indicesMatchNearestCodeAndZqIsTheChosenRow(Case c) {
        long seed = System.nanoTime();
        float[][] data = NearestReference.data(c, seed);
        float[] z = data[0], e = data[1];
        Tensor zt = Tensor.of(z, c.zShape()), et = Tensor.of(e, c.k(), c.d());
        int[] idx;
        float[] zq;
        try (NearestQuantized q = ops.nearestQuantize(zt, et)) {
            assertArrayEquals(c.indexShape(), q.indices().shape());
            assertArrayEquals(c.zShape(), q.zq().shape());
            idx = q.indices().toIntArray();
            zq = q.zq().toFloatArray();
        }
        try (NearestCode nc = ops.nearestCode(zt, et, false); Quantized q = ops.quantize(zt, et, nc.indices())) {
            assertArrayEquals(nc.indices().toIntArray(), idx, c + " seed=" + seed + ": indices vs nearestCode");
            assertArrayEquals(q.zq().toFloatArray(), zq, c + " seed=" + seed + ": zq vs quantize");
        }
        for (int v = 0; v < c.n(); v++) {
            for (int j = 0; j < c.d(); j++) {
                assertEquals(Float.floatToRawIntBits(e[idx[v] * c.d() + j]), Float.floatToRawIntBits(zq[c.offset(v, j)]),
                        c + ": zq of vector " + v + " dim " + j);
            }
        }
        int[] all = NearestReference.all(c.n());
        Comparison cmp = NearestReference.compare(c, z, e, all, idx, null, NearestReference.nearest(c, z, e, all), false);
        assertEquals(0, cmp.failures(), () -> c + " seed=" + seed + ": " + cmp.firstFailure());
    }

    @Test
    void argumentsAreChecked() {
        Tensor e = Tensor.of(new float[12], 3, 4);
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> ops.nearestQuantize(Tensor.of(new float[10], 2, 5), e));
        assertEquals("z [2, 5] has D = 5 but codebook [3, 4] has D = 4", ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ops.nearestQuantize(null, e));
        assertThrows(IllegalArgumentException.class, () -> ops.nearestQuantize(Tensor.of(new float[8], 2, 4), null));
        assertThrows(IllegalArgumentException.class,
                () -> ops.nearestQuantize(Tensor.of(new float[8], 2, 4), Tensor.of(new float[0], 0, 4)));
    }

    @Test
    void nonFiniteZThrows() {
        float[] z = {1, 2, 3, 4, Float.NaN, 0, 0, 0};
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> ops.nearestQuantize(Tensor.of(z, 2, 4), Tensor.of(new float[12], 3, 4)));
        assertEquals("z contains NaN or Inf in vector 1 (z [2, 4])", ex.getMessage());
    }

    @Test
    void cudaPathRule() {
        int sms = 132;
        VqLayout small = new VqLayout(65536, 1, 4, 512, new int[] {65536});
        VqLayout smallHugeK = new VqLayout(65536, 1, 4, 20000, new int[] {65536});
        VqLayout big = new VqLayout(524288, 1, 64, 256, new int[] {524288});
        VqLayout narrow = new VqLayout(524288, 1, 12, 256, new int[] {524288});
        VqLayout fewVectors = new VqLayout(1000, 1, 64, 256, new int[] {1000});
        VqLayout wide = new VqLayout(524288, 1, 512, 256, new int[] {524288});
        assertEquals(CudaNearest.Path.SMALL_D, CudaNearest.path(NearestSearch.AUTO, small, 9, sms));
        assertEquals(CudaNearest.Path.FP32, CudaNearest.path(NearestSearch.AUTO, smallHugeK, 9, sms));
        assertEquals(CudaNearest.Path.TF32_RERANK, CudaNearest.path(NearestSearch.AUTO, big, 9, sms));
        assertEquals(CudaNearest.Path.TF32_RERANK, CudaNearest.path(NearestSearch.AUTO, big, 8, sms));
        assertEquals(CudaNearest.Path.FP32, CudaNearest.path(NearestSearch.AUTO, big, 7, sms));
        assertEquals(CudaNearest.Path.FP32, CudaNearest.path(NearestSearch.AUTO, narrow, 9, sms));
        assertEquals(CudaNearest.Path.FP32, CudaNearest.path(NearestSearch.AUTO, fewVectors, 9, sms));
        assertEquals(CudaNearest.Path.FP32, CudaNearest.path(NearestSearch.AUTO, wide, 9, sms));
        assertEquals(CudaNearest.Path.TF32_RERANK, CudaNearest.path(NearestSearch.TF32_RERANK, fewVectors, 9, sms));
        assertEquals(CudaNearest.Path.TF32_RERANK, CudaNearest.path(NearestSearch.TF32_RERANK, small, 9, sms));
        assertEquals(CudaNearest.Path.FP32, CudaNearest.path(NearestSearch.TF32_RERANK, wide, 9, sms));
        assertEquals(CudaNearest.Path.FP32, CudaNearest.path(NearestSearch.TF32_RERANK, big, 7, sms));
        assertEquals(CudaNearest.Path.FP32, CudaNearest.path(NearestSearch.SMALL_D, big, 9, sms));
        assertEquals(CudaNearest.Path.FP32, CudaNearest.path(NearestSearch.FP32, small, 9, sms));
    }

    @Test
    void searchModeProperty() {
        String old = System.getProperty("vq4j.nearest");
        try {
            System.setProperty("vq4j.nearest", "tf32");
            assertEquals(NearestSearch.TF32_RERANK, NearestSearch.fromProperty());
            System.setProperty("vq4j.nearest", "FP32");
            assertEquals(NearestSearch.FP32, NearestSearch.fromProperty());
            System.setProperty("vq4j.nearest", "small");
            assertEquals(NearestSearch.SMALL_D, NearestSearch.fromProperty());
            System.setProperty("vq4j.nearest", "fast");
            assertThrows(IllegalArgumentException.class, NearestSearch::fromProperty);
            System.clearProperty("vq4j.nearest");
            assertEquals(NearestSearch.AUTO, NearestSearch.fromProperty());
        } finally {
            if (old == null) System.clearProperty("vq4j.nearest");
            else System.setProperty("vq4j.nearest", old);
        }
    }
}
