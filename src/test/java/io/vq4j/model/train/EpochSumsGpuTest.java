package io.vq4j.model.train;

import io.vq4j.GpuTest;
import io.vq4j.TestData;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.kernels.TrainMetricsKernels;
import io.vq4j.nn.Backend;
import io.vq4j.ops.CudaOps;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The device epoch sums (cuda/train_metrics.cu) against their host twin
 * ({@link EpochSums#accumulate}), bit for bit, and {@link TrainStep} on CUDA against reading every
 * step back (the trainer's old bookkeeping).
 */
class EpochSumsGpuTest extends GpuTest {

    /**
     * 37 steps of random losses (with a NaN, an infinity and a huge value at awkward steps) and
     * counts for K codes, through the kernel and through the twin; then a reset and 5 more steps.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 13, 207, 4099})
    void kernelMatchesTheHostTwin(int k) {
        long liveBefore = DeviceBuffer.liveBuffers();
        try (CudaOps gpu = new CudaOps()) {
            var rt = gpu.runtime();
            Random rnd = new Random(k);
            for (int variant = 0; variant < 3; variant++) {
                boolean vq = variant != 1, klOn = variant != 0, counted = variant == 0 || variant == 2;
                double divisor = variant == 1 ? 3.0 * 207 * 13 : 1.0;
                double[] want = new double[EpochSums.SLOTS];
                long[] wantCodes = counted ? new long[k] : null;
                try (DeviceBuffer sums = new DeviceBuffer(rt.stream(), 8L * EpochSums.SLOTS);
                     DeviceBuffer codeSums = counted ? new DeviceBuffer(rt.stream(), 8L * k) : null) {
                    for (int epoch = 0; epoch < 2; epoch++) {
                        sums.fill32(0);
                        if (codeSums != null) codeSums.fill32(0);
                        java.util.Arrays.fill(want, 0);
                        if (wantCodes != null) java.util.Arrays.fill(wantCodes, 0);
                        int steps = epoch == 0 ? 37 : 5;
                        for (int s = 0; s < steps; s++) {
                            float total = (float) (rnd.nextDouble() * 3 + 1e-3);
                            if (epoch == 0 && s == 13) total = Float.NaN;
                            if (epoch == 0 && s == 20) total = Float.POSITIVE_INFINITY;
                            if (s == 7) total = 3.4e38f;
                            float recon = (float) (rnd.nextDouble() * 1e5);
                            float[] losses = {(float) rnd.nextDouble(), (float) rnd.nextDouble() * 1e-4f};
                            float kl = (float) (rnd.nextDouble() * 50);
                            int[] counts = counted ? TestData.ints(rnd.nextLong(), k, 1000) : null;
                            EpochSums.accumulate(want, wantCodes, total, recon, vq ? losses : null, klOn, kl, counts,
                                    divisor, s);
                            try (Tensor t = gpu.upload(Tensor.of(new float[] {total}, 1));
                                 Tensor r = gpu.upload(Tensor.of(new float[] {recon}, 1));
                                 Tensor l = gpu.upload(Tensor.of(losses, 2));
                                 Tensor kt = gpu.upload(Tensor.of(new float[] {kl}, 1));
                                 Tensor c = counted ? gpu.upload(Tensor.ofInts(counts, k)) : null) {
                                TrainMetricsKernels.accumulate(rt, new TrainMetricsKernels.Accumulate(sums, codeSums,
                                        t.deviceBuffer(), r.deviceBuffer(), vq ? l.deviceBuffer() : null,
                                        klOn ? kt.deviceBuffer() : null, c == null ? null : c.deviceBuffer(),
                                        counted ? k : 0, divisor, s));
                            }
                        }
                        double[] got = new double[EpochSums.SLOTS];
                        sums.copyTo(got, 0, 0, got.length);
                        for (int i = 0; i < got.length; i++) {
                            assertEquals(Double.doubleToLongBits(want[i]), Double.doubleToLongBits(got[i]),
                                    "slot " + i + " (K " + k + ", variant " + variant + ", epoch " + epoch + "): want "
                                            + want[i] + ", got " + got[i]);
                        }
                        assertEquals(epoch == 0 ? 14.0 : 0.0, got[EpochSums.BAD_STEP], "first non-finite step + 1");
                        if (counted) {
                            long[] gotCodes = new long[k];
                            codeSums.copyTo(gotCodes, 0, 0, k);
                            assertArrayEquals(wantCodes, gotCodes, "code sums (K " + k + ", variant " + variant + ")");
                        }
                    }
                }
            }
        }
        assertEquals(liveBefore, DeviceBuffer.liveBuffers(), "device buffers leaked");
    }

    /** The four models on CUDA: the device sums equal the per-step reads, epoch after epoch. */
    @ParameterizedTest
    @ValueSource(strings = {"ConvVQVAE", "ConvVAE", "MlpVQVAE", "MlpVAE"})
    void trainStepSumsAreThePerStepReads(String name) {
        long liveBefore = DeviceBuffer.liveBuffers();
        try (Backend gpu = Backend.create("cuda")) {
            TrainStepTest.sumsMatchPerStepReads(name, gpu, 3, 5);
        }
        assertEquals(liveBefore, DeviceBuffer.liveBuffers(), "device buffers leaked");
    }
}
