package io.vq4j.ops;

import io.vq4j.TestData;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.ops.NearestReference.Case;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CUDA quantize against the definition (computed here), the CPU twin and a double loss. */
class QuantizeGpuTest extends CudaOpsGpuTest {
    /** The CPU twin's cases, plus sizes only the GPU runs in reasonable time. */
    static Stream<Case> cases() {
        return Stream.concat(QuantizeTest.cases(), Stream.of(
                Case.rows(100_003, 256, 16384),
                Case.rows(1_000_003, 64, 512),
                Case.nchw(16, 64, 32, 32, 512)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesDefinitionCpuTwinAndDoubleLoss(Case c) {
        long seed = System.nanoTime();
        float[] z = TestData.gaussian(seed, c.n() * c.d(), 2.0);
        float[] e = TestData.gaussian(seed + 1, c.k() * c.d(), 1.0);
        int[] idx = TestData.ints(seed + 2, c.n(), c.k());
        float[] zq, st, losses, losses2;
        try (Tensor zd = cuda.upload(Tensor.of(z, c.zShape())); Tensor ed = cuda.upload(Tensor.of(e, c.k(), c.d()));
             Tensor id = cuda.upload(Tensor.ofInts(idx, c.indexShape()))) {
            poisonPool(3L * z.length * 4 + (1 << 20));
            try (Quantized q = cuda.quantize(zd, ed, id)) {
                assertTrue(q.zq().isOnDevice() && q.straightThrough().isOnDevice() && q.losses().isOnDevice());
                assertArrayEquals(c.zShape(), q.zq().shape());
                assertArrayEquals(c.zShape(), q.straightThrough().shape());
                assertArrayEquals(new int[] {2}, q.losses().shape());
                zq = q.zq().toFloatArray();
                st = q.straightThrough().toFloatArray();
                losses = q.losses().toFloatArray();
            }
            try (Quantized q = cuda.quantize(zd, ed, id)) {
                losses2 = q.losses().toFloatArray();
            }
        }
        // the definition, element by element (poison or any unwritten element shows up as NaN: infinite error)
        double maxErr = 0;
        long wrong = 0;
        String firstWrong = null;
        for (int n = 0; n < c.n(); n++) {
            for (int i = 0; i < c.d(); i++) {
                int o = c.offset(n, i);
                float want = e[idx[n] * c.d() + i];
                float wantSt = z[o] + (want - z[o]);
                double err = Math.max(Math.abs((double) zq[o] - want), Math.abs((double) st[o] - wantSt));
                if (Float.isNaN(zq[o]) || Float.isNaN(st[o])) err = Double.POSITIVE_INFINITY;
                maxErr = Math.max(maxErr, err);
                if (Float.floatToRawIntBits(zq[o]) != Float.floatToRawIntBits(want)
                        || Float.floatToRawIntBits(st[o]) != Float.floatToRawIntBits(wantSt)) {
                    if (wrong++ == 0) firstWrong = "element (" + n + ", " + i + "): zq " + zq[o] + " st " + st[o]
                            + ", want " + want + " and " + wantSt;
                }
            }
        }
        // the CPU twin: the same bits for zq and st, the same loss to double rounding
        float[] cpuLoss;
        try (Quantized q = cpu.quantize(Tensor.of(z, c.zShape()), Tensor.of(e, c.k(), c.d()), Tensor.ofInts(idx, c.indexShape()))) {
            assertArrayEquals(q.zq().toFloatArray(), zq, c + " seed=" + seed + ": zq differs from the CPU twin");
            assertArrayEquals(q.straightThrough().toFloatArray(), st, c + " seed=" + seed + ": st differs from the CPU twin");
            cpuLoss = q.losses().toFloatArray();
        }
        double ref = NearestReference.loss(c, z, e, idx);
        double rel = Math.max(Math.abs(losses[0] - ref), Math.abs(losses[1] - ref)) / ref;
        double relCpu = Math.abs(losses[0] - cpuLoss[0]) / cpuLoss[0];
        System.out.printf("[gpu] op=quantize N=%d D=%d K=%d layout=%s maxErr=%.3g wrongBits=%d lossRelErr=%.3g lossVsCpu=%.3g%n",
                c.n(), c.d(), c.k(), c.layout(), maxErr, wrong, rel, relCpu);
        final String fw = firstWrong;
        assertEquals(0, wrong, () -> c + " seed=" + seed + ": " + fw);
        assertTrue(rel <= 1e-6, () -> c + " seed=" + seed + ": losses " + losses[0] + ", " + losses[1] + " vs double " + ref);
        assertTrue(relCpu <= 1e-6, () -> c + " seed=" + seed + ": loss " + losses[0] + " vs cpu " + cpuLoss[0]);
        assertEquals(losses[0], losses[1], 0.0);
        assertArrayEquals(losses, losses2, c + " seed=" + seed + ": losses differ run to run");
    }

    @Test
    void badIndicesThrowAndTheBackendStillWorks() {
        int k = 512, d = 64, n = 10;
        float[] e = TestData.gaussian(1, k * d, 1.0), z = TestData.gaussian(2, n * d, 1.0);
        int[] idx = new int[n];
        idx[5] = 600;
        idx[7] = -1;
        try (Tensor zd = cuda.upload(Tensor.of(z, n, d)); Tensor ed = cuda.upload(Tensor.of(e, k, d))) {
            try (Tensor id = cuda.upload(Tensor.ofInts(idx, n))) {
                IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> cuda.quantize(zd, ed, id));
                assertEquals("indices[5] = 600 is outside [0, 512) for codebook [512, 64]", ex.getMessage());
            }
            idx[5] = 511;
            try (Tensor id = cuda.upload(Tensor.ofInts(idx, n))) {
                IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> cuda.quantize(zd, ed, id));
                assertEquals("indices[7] = -1 is outside [0, 512) for codebook [512, 64]", ex.getMessage());
            }
            idx[7] = 0;
            try (Tensor id = cuda.upload(Tensor.ofInts(idx, n)); Quantized q = cuda.quantize(zd, ed, id);
                 Quantized h = cpu.quantize(Tensor.of(z, n, d), Tensor.of(e, k, d), Tensor.ofInts(idx, n))) {
                assertArrayEquals(h.zq().toFloatArray(), q.zq().toFloatArray());
                assertEquals(h.codebookLoss(), q.codebookLoss(), 1e-6 * h.codebookLoss());
            }
        }
    }

    /** nearestCode then quantize, all on the device: the loss is the mean of the reported distances. */
    @Test
    void quantizeOfNearestCodes() {
        Case c = Case.nchw(4, 64, 16, 16, 512);
        float[][] data = NearestReference.data(c, 33);
        try (Tensor zd = cuda.upload(Tensor.of(data[0], c.zShape())); Tensor ed = cuda.upload(Tensor.of(data[1], c.k(), c.d()));
             NearestCode nc = cuda.nearestCode(zd, ed, true); Quantized q = cuda.quantize(zd, ed, nc.indices())) {
            double sum = 0;
            for (float v : nc.distances().toFloatArray()) sum += v;
            double mean = sum / ((double) c.n() * c.d());
            assertEquals(mean, q.codebookLoss(), 1e-5 * mean);
        }
    }

    private void poisonPool(long bytes) {
        try (DeviceBuffer b = new DeviceBuffer(cuda.runtime().stream(), bytes)) {
            b.fill32(TestData.POISON_BITS);
        }
    }
}
