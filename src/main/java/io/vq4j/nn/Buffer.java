package io.vq4j.nn;

import io.vq4j.ops.Tensor;

/**
 * A named, non-trainable tensor of a module that is part of its state dict: batch norm's running
 * statistics and num_batches_tracked, an EMA codebook's statistics. Updated in place by the ops
 * that own the statistics; owned by the buffer and freed on {@link #close()}.
 *
 * <p>A {@link #hostOnly()} buffer lives in host memory on every backend: batch norm's
 * {@code num_batches_tracked} is a counter the layer bumps on the host each training forward, so
 * keeping it on the device would cost a kernel or a copy per step for nothing.
 */
public final class Buffer implements AutoCloseable {
    private String name;
    private Tensor value;
    private final boolean hostOnly;
    private boolean closed;

    Buffer(String name, Tensor value, boolean hostOnly) {
        this.name = name;
        this.value = value;
        this.hostOnly = hostOnly;
    }

    /** The full state_dict key. */
    public String name() { return name; }

    /** The current value (owned by this buffer). */
    public Tensor value() { return value; }

    /** Whether this buffer stays in host memory whatever the backend. */
    public boolean hostOnly() { return hostOnly; }

    void prefix(String p) { name = p + name; }

    /** Swaps in a new value (state-dict load, k-means init), freeing the old one. */
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
    }

    @Override
    public String toString() { return "Buffer[" + name + " " + value.describe() + "]"; }
}
