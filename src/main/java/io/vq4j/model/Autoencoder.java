package io.vq4j.model;

import io.vq4j.nn.Backend;
import io.vq4j.nn.Module;
import io.vq4j.ops.Tensor;

import java.util.function.Supplier;

/**
 * A trainable model: the API a training loop needs. Typical step (no host round trip inside):
 * <pre>
 *   model.train(true);
 *   StepResult r = model.forwardBackward(x);   // every Parameter now has its grad
 *   optimizer.step();                          // io.vq4j.nn.Adam over model.parameters()
 *   model.afterStep();                         // EMA codebook update / dead-code revival
 * </pre>
 * Inputs belong to the caller and must stay valid until the step (including afterStep) is done;
 * call afterStep before any other call on the model (it reuses the step's latents).
 * Tensors returned by {@link #reconstruct} (and the subclasses' encode / decode) belong to the
 * caller (close them); they run in eval mode whatever the current mode, and restore it.
 *
 * <p>Device syncs: forwardBackward itself reads nothing back; on CUDA the ops' own data checks
 * (index range, finiteness) each cost a tiny read-back unless {@code -Dvq4j.checks=false}.
 * afterStep reads one int when dead-code revival is on. Reading a {@link StepResult} syncs.
 *
 * <p>The model owns its parameters, buffers and every intermediate tensor (see
 * {@link io.vq4j.nn.Layer}); {@link #close()} frees them all.
 */
public abstract class Autoencoder extends Module {

    protected Autoencoder(Backend backend) { super(backend); }

    /** Forward, loss and backward on batch {@code x} (training mode required). */
    public abstract StepResult forwardBackward(Tensor x);

    /** The reconstruction of {@code x} in eval mode, caller-owned. */
    public abstract Tensor reconstruct(Tensor x);

    /**
     * Per-step work after the optimizer step (EMA codebook update, dead-code revival). Returns the
     * number of codes revived (0 for models without a codebook).
     */
    public int afterStep() { return 0; }

    /** Runs {@code body} in eval mode and restores the previous mode. */
    protected final <T> T inEval(Supplier<T> body) {
        ensureOpen();
        boolean was = isTraining();
        train(false);
        try {
            return body.get();
        } finally {
            train(was);
        }
    }

    protected final void requireTraining() {
        ensureOpen();
        if (!isTraining()) throw new IllegalStateException("forwardBackward needs training mode: call train(true)");
    }
}
