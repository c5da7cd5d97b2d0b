package io.vq4j.cuda.kernels;

import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.KernelLaunch;

/** Launcher for cuda/train_metrics.cu: a training step's losses and code counts added to device sums. */
public final class TrainMetricsKernels {
    private TrainMetricsKernels() {}

    private static final int THREADS = 256;

    /** Slots of the double sums (cuda/train_metrics.cu's layout). */
    public static final int TOTAL = 0, RECON = 1, CODEBOOK = 2, COMMITMENT = 3, KL = 4, BAD_VALUE = 5, BAD_STEP = 6,
            FIRST_TOTAL = 7, SLOTS = 8;

    /**
     * One step's accumulation.
     *
     * @param sums         {@link #SLOTS} doubles, zeroed at the start of an epoch
     * @param codeSums     K 64-bit sums (null when {@code counts} is null)
     * @param total        F32 [1], the step's total loss
     * @param recon        F32 [1], its reconstruction term (divided by {@code reconDivisor} before adding)
     * @param vqLosses     F32 [2] {@code [codebook, commitment]} or null
     * @param kl           F32 [1] or null
     * @param counts       I32 [K] or null
     * @param k            K (0 without counts)
     * @param reconDivisor 1, or the batch's element count when the reconstruction term is a sum
     * @param stepInEpoch  0-based step index within the epoch
     */
    public record Accumulate(DeviceBuffer sums, DeviceBuffer codeSums, DeviceBuffer total, DeviceBuffer recon,
                             DeviceBuffer vqLosses, DeviceBuffer kl, DeviceBuffer counts, int k, double reconDivisor,
                             long stepInEpoch) {
        public Accumulate {
            if (sums == null || total == null || recon == null) {
                throw new IllegalArgumentException("sums, total and recon must not be null");
            }
            if ((counts == null) != (codeSums == null)) {
                throw new IllegalArgumentException("counts and codeSums must both be given or both be null");
            }
            if (counts != null && k < 1) throw new IllegalArgumentException("k must be >= 1 with counts, got " + k);
            if (sums.bytes() < 8L * SLOTS) {
                throw new IllegalArgumentException("sums holds " + sums.bytes() + " bytes, needs " + 8L * SLOTS);
            }
            if (counts != null && (counts.bytes() < 4L * k || codeSums.bytes() < 8L * k)) {
                throw new IllegalArgumentException("counts (" + counts.bytes() + " bytes) and codeSums ("
                        + codeSums.bytes() + " bytes) must hold K = " + k + " entries");
            }
            if (!(reconDivisor > 0)) throw new IllegalArgumentException("reconDivisor must be > 0, got " + reconDivisor);
            if (stepInEpoch < 0) throw new IllegalArgumentException("stepInEpoch must be >= 0, got " + stepInEpoch);
        }
    }

    public static void accumulate(Cuda.Runtime rt, Accumulate p) {
        int k = p.counts() == null ? 0 : p.k();
        int blocks = Math.max(1, (k + THREADS - 1) / THREADS);
        KernelLaunch.of(rt.kernels(), "train_metrics_accumulate", rt.stream()).grid(blocks).block(THREADS)
                .arg(p.sums()).argOrNull(p.codeSums()).arg(p.total()).arg(p.recon()).argOrNull(p.vqLosses())
                .argOrNull(p.kl()).argOrNull(p.counts()).arg(k).arg(p.reconDivisor()).arg(p.stepInEpoch())
                .launch();
    }
}
