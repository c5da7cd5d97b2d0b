package io.vq4j.cuda;

import io.vq4j.GpuTest;
import io.vq4j.TestData;
import io.vq4j.cuda.kernels.BiasGradKernels;
import io.vq4j.ops.CudaOps;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * cuda/bias_grad.cu against a float64 sum, at awkward shapes (hw = 1 as for a linear layer, hw not
 * a multiple of 4, so the scalar path, C wider than the split rule's 1024), and bit-identical reruns.
 */
class BiasGradGpuTest extends GpuTest {
    @Test
    void matchesTheDoubleSumAndRepeatsBitForBit() {
        int[][] shapes = {{1, 1, 1}, {3, 13, 1}, {2, 5, 9}, {7, 207, 4}, {16, 3, 4096}, {13, 64, 1025}, {2, 1500, 3}, {64, 1, 1}};
        long liveBefore = DeviceBuffer.liveBuffers();
        try (CudaOps ops = new CudaOps()) {
            Cuda.Runtime rt = ops.runtime();
            for (int[] s : shapes) {
                int n = s[0], c = s[1], hw = s[2];
                int count = n * c * hw;
                float[] dy = TestData.gaussian(31L * count, count, 1);
                double[] ref = new double[c];
                double[] mag = new double[c];
                for (int i = 0; i < n; i++) {
                    for (int ch = 0; ch < c; ch++) {
                        for (int p = 0; p < hw; p++) {
                            double v = dy[(i * c + ch) * hw + p];
                            ref[ch] += v;
                            mag[ch] += Math.abs(v);
                        }
                    }
                }
                try (DeviceBuffer dyBuf = new DeviceBuffer(rt.stream(), 4L * count);
                     DeviceBuffer partial = new DeviceBuffer(rt.stream(), 8L * BiasGradKernels.partialDoubles(n, c));
                     DeviceBuffer db = new DeviceBuffer(rt.stream(), 4L * c);
                     DeviceBuffer db2 = new DeviceBuffer(rt.stream(), 4L * c)) {
                    dyBuf.copyFrom(dy, 0, 0, count);
                    BiasGradKernels.biasGrad(rt, new BiasGradKernels.Params(db, partial, dyBuf, n, c, hw));
                    BiasGradKernels.biasGrad(rt, new BiasGradKernels.Params(db2, partial, dyBuf, n, c, hw));
                    float[] got = new float[c], again = new float[c];
                    db.copyTo(got, 0, 0, c);
                    db2.copyTo(again, 0, 0, c);
                    for (int ch = 0; ch < c; ch++) {
                        String at = "n=" + n + " c=" + c + " hw=" + hw + " channel " + ch;
                        assertEquals(ref[ch], got[ch], 1e-6 * mag[ch] + 1e-30, at);
                        assertEquals(Float.floatToRawIntBits(got[ch]), Float.floatToRawIntBits(again[ch]), "rerun differs at " + at);
                    }
                }
            }
            assertThrows(IllegalArgumentException.class, () -> BiasGradKernels.biasGrad(rt,
                    new BiasGradKernels.Params(null, null, null, 0, 3, 4)));
        }
        assertEquals(liveBefore, DeviceBuffer.liveBuffers(), "device buffers left open");
    }
}
