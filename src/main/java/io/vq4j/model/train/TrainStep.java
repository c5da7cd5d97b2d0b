package io.vq4j.model.train;

import io.vq4j.model.Autoencoder;
import io.vq4j.model.StepResult;
import io.vq4j.model.VaeAutoencoder;
import io.vq4j.nn.Adam;
import io.vq4j.ops.Tensor;

/**
 * One training step, shared by {@link Trainer} and the benchmarks: forward + loss + backward
 * ({@link Autoencoder#forwardBackward}), the optimizer step, the model's after-step work (EMA
 * codebook, dead-code revival), and the epoch's metric sums ({@link EpochSums}).
 *
 * <p>On CUDA a step only queues work: nothing is read back, so the host runs ahead of the GPU and
 * the launches of the next step overlap this one's kernels. What still waits for the device, by
 * choice of the user: the ops' data checks (index range, finiteness; {@code -Dvq4j.checks=false}
 * turns them off), dead-code revival (reads how many codes it revived), and the first step's
 * k-means fit and cuDNN algorithm searches. {@link #read()} syncs.
 *
 * <p>Owns the metric sums (close it); the model and the optimizer stay the caller's.
 */
public final class TrainStep implements AutoCloseable {
    private final Autoencoder model;
    private final Adam optimizer;
    private final EpochSums sums;
    private final boolean reconIsSum;

    /** The reconstruction term is a sum over the batch for the VAEs and a per-pixel mean for the VQ models. */
    public TrainStep(Autoencoder model, Adam optimizer) {
        if (model == null || optimizer == null) throw new IllegalArgumentException("model and optimizer must not be null");
        this.model = model;
        this.optimizer = optimizer;
        this.reconIsSum = model instanceof VaeAutoencoder;
        this.sums = EpochSums.create(model.backend());
    }

    /**
     * One step on batch {@code x} (the caller's; keep it valid until the step's work has run, which
     * on CUDA means: free it only stream-ordered, as closing a tensor does). Returns the step's
     * losses, owned by the model (valid until its next step).
     */
    public StepResult run(Tensor x) {
        StepResult r = model.forwardBackward(x);
        optimizer.step();
        model.afterStep();
        sums.add(r, reconIsSum ? (double) x.numel() : 1.0);
        return r;
    }

    /** Zeroes the metric sums: the next step is the epoch's first. */
    public void startEpoch() { sums.reset(); }

    /** Steps since {@link #startEpoch()}. */
    public long stepsInEpoch() { return sums.steps(); }

    /** The epoch's sums so far (waits for the queued steps on CUDA). */
    public EpochSums.Snapshot read() { return sums.read(); }

    /** How long to let pass between reads for a progress display (0: reads are free). */
    public long readIntervalNanos() { return sums.readIntervalNanos(); }

    public Autoencoder model() { return model; }

    public Adam optimizer() { return optimizer; }

    @Override
    public void close() { sums.close(); }
}
