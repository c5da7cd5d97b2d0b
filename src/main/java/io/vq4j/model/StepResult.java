package io.vq4j.model;

import io.vq4j.ops.Tensor;

/**
 * What one training step ({@link Autoencoder#forwardBackward}) reports, as tensors still in the
 * backend's memory (reading them with {@code item()} / {@code toFloatArray()} syncs, so a trainer
 * reads them only when it logs). All are OWNED BY THE MODEL and valid until its next
 * forwardBackward, reconstruct, encode, decode or close; never close them.
 *
 * @param total          the loss whose gradients the parameters now hold, F32 {@code [1]}
 * @param reconstruction the reconstruction term, F32 {@code [1]} (MSE mean for VQ-VAEs, sum for VAEs)
 * @param vqLosses       VQ models: {@code [codebookLoss, commitmentLoss]}, F32 {@code [2]}; else null
 * @param kl             VAEs: the KL divergence summed over the batch, F32 {@code [1]}; else null
 * @param codeCounts     VQ models: how many vectors chose each code, I32 {@code [K]}; else null
 */
public record StepResult(Tensor total, Tensor reconstruction, Tensor vqLosses, Tensor kl, Tensor codeCounts) {

    /** The total loss (syncs). */
    public double totalValue() { return total.item(); }

    /** The reconstruction term (syncs). */
    public double reconstructionValue() { return reconstruction.item(); }
}
