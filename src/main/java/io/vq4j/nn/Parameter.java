package io.vq4j.nn;

import io.vq4j.ops.DType;
import io.vq4j.ops.Ops;
import io.vq4j.ops.Tensor;

/**
 * A named trainable tensor in the backend's memory: its value, its gradient and (made lazily by
 * the optimizer) its Adam moments. The name is the PyTorch state_dict key ("encoder.0.weight").
 *
 * <p>Gradients are OVERWRITTEN by each backward, never accumulated (no layer is used twice in a
 * step), so no zeroGrad is needed between steps. The parameter owns value, grad and moments and
 * frees them on {@link #close()}. {@link #requiresGrad()} is false for a codebook trained by EMA:
 * it stays a parameter (it is in the state dict, as in PyTorch) but optimizers skip it.
 */
public final class Parameter implements AutoCloseable {
    private String name;
    private Tensor value;
    private Tensor grad;
    private Tensor m, v;
    private final boolean requiresGrad;
    private boolean closed;

    Parameter(String name, Tensor value, boolean requiresGrad) {
        this.name = name;
        this.value = value;
        this.requiresGrad = requiresGrad;
    }

    /** The full state_dict key. */
    public String name() { return name; }

    /** The current value (owned by this parameter; valid until {@link #close()} or a state-dict load). */
    public Tensor value() { return value; }

    /** The gradient of the last backward (null before the first). */
    public Tensor grad() { return grad; }

    public boolean requiresGrad() { return requiresGrad; }

    public int[] shape() { return value.shape(); }

    /** Takes ownership of {@code g} as the gradient, freeing the previous one. */
    public void setGrad(Tensor g) {
        Tensor old = grad;
        grad = g;
        if (old != null && old != g) old.close();
    }

    /** Adam's first moment (null until the first optimizer step). */
    public Tensor adamM() { return m; }

    /** Adam's second moment (null until the first optimizer step). */
    public Tensor adamV() { return v; }

    /** Zero Adam moments in {@code ops}' memory, made on the first call. */
    void ensureMoments(Ops ops) {
        if (m == null) m = ops.zeros(DType.F32, value.shape());
        if (v == null) v = ops.zeros(DType.F32, value.shape());
    }

    /** Replaces the Adam moments (e.g. from a checkpoint); takes ownership of both. */
    public void setMoments(Tensor newM, Tensor newV) {
        if (newM == null || newV == null || !java.util.Arrays.equals(newM.shape(), value.shape())
                || !java.util.Arrays.equals(newV.shape(), value.shape())) {
            throw new IllegalArgumentException("moments for " + name + " must both be " + value.shapeString()
                    + ", got " + (newM == null ? "null" : newM.shapeString()) + " and "
                    + (newV == null ? "null" : newV.shapeString()));
        }
        Tensor oldM = m, oldV = v;
        m = newM;
        v = newV;
        if (oldM != null && oldM != newM) oldM.close();
        if (oldV != null && oldV != newV) oldV.close();
    }

    /** Prepends a parent's prefix; called while the module tree is built. */
    void prefix(String p) { name = p + name; }

    /** Swaps in a new value (state-dict load), freeing the old one. */
    void replaceValue(Tensor t) {
        Tensor old = value;
        value = t;
        if (old != t) old.close();
    }

    public boolean isClosed() { return closed; }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        value.close();
        if (grad != null) grad.close();
        if (m != null) m.close();
        if (v != null) v.close();
    }

    @Override
    public String toString() { return "Parameter[" + name + " " + value.describe() + "]"; }
}
