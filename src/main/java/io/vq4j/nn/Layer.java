package io.vq4j.nn;

import io.vq4j.ops.Tensor;

/**
 * A module with one input and one output and an explicit backward (micrograd / llm.c style: each
 * class has its forward and backward side by side).
 *
 * <h2>Ownership rule</h2>
 * A layer keeps what its backward needs and OWNS the tensors it returns: the output of
 * {@link #forward} and the input gradient of {@link #backward} stay valid until the layer's next
 * forward (which frees both), its next backward (which frees the previous input gradient) or
 * {@link #close()}. Callers never close them. Steps are therefore allocation-stable and leak-free:
 * every tensor of a step is owned by exactly one layer and replaced, not accumulated, by the next.
 * {@link #takeOutput()} hands the output over to the caller instead (for inference results).
 *
 * <p>The input of {@link #forward} belongs to the caller, who keeps it valid until
 * {@link #backward} has run (in a {@link Sequential} it is the previous layer's output, so it is).
 * Backward needs a forward in training mode; after an eval-mode forward it throws
 * {@link IllegalStateException}.
 */
public abstract class Layer extends Module {
    private Tensor output;
    private Tensor gradInput;
    private boolean readyForBackward;

    protected Layer(Backend backend) { super(backend); }

    /** The output for input {@code x}; owned by this layer (see the class comment). */
    public abstract Tensor forward(Tensor x);

    /**
     * The gradient for the last forward's input, given the gradient for its output; sets the
     * gradient of every parameter (overwriting the previous one). Owned by this layer.
     */
    public abstract Tensor backward(Tensor gradOut);

    // ---- for subclasses ---------------------------------------------------------------------

    /** Frees the previous step's tensors; call first in forward. */
    protected final void beginForward() {
        ensureOpen();
        output = close(output);
        gradInput = close(gradInput);
        releaseSaved();
        readyForBackward = isTraining();
    }

    /** Frees the previous input gradient and checks a training forward came first; call first in backward. */
    protected final void beginBackward() {
        ensureOpen();
        if (!readyForBackward) {
            throw new IllegalStateException(getClass().getSimpleName()
                    + ".backward needs a forward in training mode first");
        }
        gradInput = close(gradInput);
    }

    /** Records {@code y} as the owned output and returns it. */
    protected final Tensor keepOutput(Tensor y) {
        output = y;
        return y;
    }

    /** Records {@code g} as the owned input gradient and returns it. */
    protected final Tensor keepGradInput(Tensor g) {
        gradInput = g;
        return g;
    }

    /** The owned output of the last forward (null after {@link #takeOutput} or release). */
    protected Tensor output() { return output; }

    /** Frees what forward saved for backward besides the output (batch stats, indices...). */
    protected void releaseSaved() {}

    // ---- for containers and models ----------------------------------------------------------

    /**
     * Hands the last output to the caller, who then owns (and closes) it; the layer forgets it.
     * Only for results nobody backpropagates through (inference).
     */
    public Tensor takeOutput() {
        Tensor y = output;
        output = null;
        readyForBackward = false;
        return y;
    }

    /** Frees the last output early (eval-mode containers that no longer need it). */
    public void releaseOutput() {
        output = close(output);
        readyForBackward = false;
    }

    /** Frees the last input gradient early (containers, once the layer below has consumed it). */
    public void releaseGradInput() { gradInput = close(gradInput); }

    @Override
    protected void releaseOwned() {
        output = close(output);
        gradInput = close(gradInput);
        releaseSaved();
    }
}
