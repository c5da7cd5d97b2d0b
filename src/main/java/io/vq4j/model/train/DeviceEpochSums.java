package io.vq4j.model.train;

import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.kernels.TrainMetricsKernels;
import io.vq4j.model.StepResult;
import io.vq4j.ops.CudaOps;
import io.vq4j.ops.Tensor;

/**
 * {@link EpochSums} on the GPU: one {@code train_metrics_accumulate} launch per step (queued
 * behind the step, nothing read back), the sums read when the trainer asks. The code-count sums
 * are sized by the first step that has counts. Frees its two buffers on close.
 */
final class DeviceEpochSums extends EpochSums {
    /** Progress reads at most twice a second: each one waits for the queued steps. */
    private static final long READ_INTERVAL_NANOS = 500_000_000L;

    private final CudaOps ops;
    private final DeviceBuffer sums;
    private DeviceBuffer codeSums;
    private int k;
    private boolean sawCounts;

    DeviceEpochSums(CudaOps ops) {
        this.ops = ops;
        this.sums = new DeviceBuffer(ops.runtime().stream(), 8L * SLOTS);
        try {
            sums.fill32(0);
        } catch (RuntimeException | Error e) {
            sums.close();
            throw e;
        }
    }

    @Override
    long readIntervalNanos() { return READ_INTERVAL_NANOS; }

    @Override
    void doAdd(StepResult r, double reconDivisor, long stepInEpoch) {
        Tensor counts = r.codeCounts();
        if (counts != null) {
            if (codeSums == null) {
                k = (int) counts.numel();
                codeSums = new DeviceBuffer(ops.runtime().stream(), 8L * k);
                codeSums.fill32(0);
            } else if (counts.numel() != k) {
                throw new IllegalArgumentException("code counts changed size within a run: " + k + " then "
                        + counts.numel());
            }
            sawCounts = true;
        }
        TrainMetricsKernels.accumulate(ops.runtime(), new TrainMetricsKernels.Accumulate(sums,
                counts == null ? null : codeSums, buffer(r.total()), buffer(r.reconstruction()),
                buffer(r.vqLosses()), buffer(r.kl()), buffer(counts), counts == null ? 0 : k, reconDivisor,
                stepInEpoch));
    }

    private static DeviceBuffer buffer(Tensor t) { return t == null ? null : t.deviceBuffer(); }

    @Override
    long[] readInto(double[] out) {
        sums.copyTo(out, 0, 0, SLOTS);
        if (!sawCounts) return null;
        long[] c = new long[k];
        codeSums.copyTo(c, 0, 0, k);
        return c;
    }

    @Override
    void doReset() {
        sums.fill32(0);
        if (codeSums != null) codeSums.fill32(0);
        sawCounts = false;
    }

    @Override
    public void close() {
        try {
            if (codeSums != null) codeSums.close();
        } finally {
            sums.close();
        }
    }
}
