package io.vq4j.model.train;

import io.vq4j.model.StepResult;
import io.vq4j.nn.Backend;
import io.vq4j.ops.CudaOps;

/**
 * An epoch's running sums of the step losses and code counts, kept where the model runs, so a
 * training step queues its bookkeeping instead of reading its losses back (on CUDA a read waits
 * for the whole step). {@link #read()} is the one place that syncs; the trainer calls it at the end
 * of each epoch and, for the progress display, at most every {@link #readIntervalNanos()}.
 *
 * <p>The sums are the ones the trainer always kept: {@code sum += (double) value} per step, the
 * reconstruction first divided by the batch's element count when it is a sum (the VAEs), code
 * counts in 64 bits. {@link #accumulate} is that arithmetic on the host: the CPU backend runs it
 * directly and it is the reference the device version ({@link DeviceEpochSums},
 * cuda/train_metrics.cu) must match bit for bit.
 */
public abstract sealed class EpochSums implements AutoCloseable permits EpochSums.Host, DeviceEpochSums {

    /** Slots of the sums array (cuda/train_metrics.cu uses the same layout). */
    static final int TOTAL = 0, RECON = 1, CODEBOOK = 2, COMMITMENT = 3, KL = 4, BAD_VALUE = 5, BAD_STEP = 6,
            FIRST_TOTAL = 7, SLOTS = 8;

    private long steps;
    private boolean hasVq, hasKl;

    /** Host sums for the CPU backend, device sums for CUDA. */
    static EpochSums create(Backend backend) {
        return backend.ops() instanceof CudaOps cuda ? new DeviceEpochSums(cuda) : new Host();
    }

    /**
     * What {@link #read()} returns: the raw sums, so means are taken exactly as before.
     *
     * @param badStep     0-based step within the epoch whose total was first non-finite, or -1
     * @param badValue    that total (NaN when none)
     * @param firstTotal  the epoch's first step's total (NaN before a step)
     * @param codeCounts  per-code counts summed over the epoch, or null (no VQ step yet)
     */
    public record Snapshot(long steps, double total, double recon, double codebook, double commitment, double kl,
                           boolean hasVq, boolean hasKl, long badStep, double badValue, double firstTotal,
                           long[] codeCounts) {
        public double meanTotal() { return steps == 0 ? Double.NaN : total / steps; }

        public double reconMse() { return steps == 0 ? Double.NaN : recon / steps; }

        public double meanCodebook() { return hasVq ? codebook / steps : Double.NaN; }

        public double meanCommitment() { return hasVq ? commitment / steps : Double.NaN; }

        public double meanKl() { return hasKl ? kl / steps : Double.NaN; }
    }

    /**
     * Adds one step (queued on the device for CUDA). {@code reconDivisor} is 1, or the batch's
     * element count when the reconstruction term is a sum.
     */
    final void add(StepResult r, double reconDivisor) {
        if (r == null) throw new IllegalArgumentException("step result must not be null");
        if (!(reconDivisor > 0)) throw new IllegalArgumentException("reconDivisor must be > 0, got " + reconDivisor);
        doAdd(r, reconDivisor, steps);
        steps++;
        hasVq |= r.vqLosses() != null;
        hasKl |= r.kl() != null;
    }

    /** The sums so far this epoch (syncs on CUDA). */
    final Snapshot read() {
        double[] s = new double[SLOTS];
        long[] counts = readInto(s);
        return new Snapshot(steps, s[TOTAL], s[RECON], s[CODEBOOK], s[COMMITMENT], s[KL], hasVq, hasKl,
                (long) s[BAD_STEP] - 1, s[BAD_STEP] == 0 ? Double.NaN : s[BAD_VALUE],
                steps == 0 ? Double.NaN : s[FIRST_TOTAL], counts);
    }

    /** Starts a new epoch: zero sums, no steps. */
    final void reset() {
        steps = 0;
        hasVq = false;
        hasKl = false;
        doReset();
    }

    /** Steps added since the last reset. */
    final long steps() { return steps; }

    /** How long the trainer lets pass between progress reads: 0 when a read costs nothing. */
    abstract long readIntervalNanos();

    abstract void doAdd(StepResult r, double reconDivisor, long stepInEpoch);

    /** Copies the sums into {@code sums} and returns the code counts (null when none). */
    abstract long[] readInto(double[] sums);

    abstract void doReset();

    @Override
    public abstract void close();

    /**
     * One step's bookkeeping on host values: the reference arithmetic (and the CPU backend's).
     *
     * @param vqLosses   {@code [codebook, commitment]} or null
     * @param kl         the KL value, or NaN for none ({@code hasKl} false)
     * @param counts     the step's code counts, or null
     * @param codeSums   K sums the counts are added to (null when counts is)
     */
    static void accumulate(double[] sums, long[] codeSums, float total, float recon, float[] vqLosses, boolean hasKl,
                           float kl, int[] counts, double reconDivisor, long stepInEpoch) {
        double t = total;
        sums[TOTAL] += t;
        sums[RECON] += recon / reconDivisor;
        if (vqLosses != null) {
            sums[CODEBOOK] += vqLosses[0];
            sums[COMMITMENT] += vqLosses[1];
        }
        if (hasKl) sums[KL] += kl;
        if (stepInEpoch == 0) sums[FIRST_TOTAL] = t;
        if (!Double.isFinite(t) && sums[BAD_STEP] == 0) {
            sums[BAD_VALUE] = t;
            sums[BAD_STEP] = stepInEpoch + 1;
        }
        if (counts != null) for (int i = 0; i < counts.length; i++) codeSums[i] += counts[i];
    }

    /** The CPU backend: the tensors are host arrays, so "reading" them per step is free. */
    static final class Host extends EpochSums {
        private final double[] sums = new double[SLOTS];
        private long[] codeSums;

        @Override
        long readIntervalNanos() { return 0; }

        @Override
        void doAdd(StepResult r, double reconDivisor, long stepInEpoch) {
            int[] counts = r.codeCounts() == null ? null : r.codeCounts().toIntArray();
            if (counts != null && codeSums == null) codeSums = new long[counts.length];
            accumulate(sums, codeSums, r.total().item(), r.reconstruction().item(),
                    r.vqLosses() == null ? null : r.vqLosses().toFloatArray(), r.kl() != null,
                    r.kl() == null ? Float.NaN : r.kl().item(), counts, reconDivisor, stepInEpoch);
        }

        @Override
        long[] readInto(double[] out) {
            System.arraycopy(sums, 0, out, 0, SLOTS);
            return codeSums == null ? null : codeSums.clone();
        }

        @Override
        void doReset() {
            java.util.Arrays.fill(sums, 0);
            codeSums = null;
        }

        @Override
        public void close() {}
    }
}
