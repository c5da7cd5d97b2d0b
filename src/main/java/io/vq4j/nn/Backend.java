package io.vq4j.nn;

import io.vq4j.ops.Backends;
import io.vq4j.ops.LayerOps;
import io.vq4j.ops.Ops;

/**
 * The compute backend every layer and model runs on: an {@link Ops} (VQ and Gaussian ops, memory)
 * and the {@link LayerOps} over the same memory. Everything in {@code io.vq4j.nn} and
 * {@code io.vq4j.model} takes one, so a model and its inputs always live in one place.
 *
 * <p>{@link #create} and {@link #cpu} own both halves and close both; {@link #over} borrows an
 * existing {@code Ops} (e.g. {@link Backends#get()}) and closes only the layer ops it made.
 */
public final class Backend implements AutoCloseable {
    private final Ops ops;
    private final LayerOps layers;
    private final boolean ownsOps;
    private volatile boolean closed;

    private Backend(Ops ops, LayerOps layers, boolean ownsOps) {
        this.ops = ops;
        this.layers = layers;
        this.ownsOps = ownsOps;
    }

    /** A new backend by name ("auto", "cpu" or "cuda", as {@link Backends#create}). */
    public static Backend create(String name) {
        Ops ops = Backends.create(name);
        try {
            return new Backend(ops, Backends.layersFor(ops), true);
        } catch (RuntimeException e) {
            ops.close();
            throw e;
        }
    }

    /** The pure-Java backend. */
    public static Backend cpu() { return create("cpu"); }

    /** Layer ops over a borrowed {@code ops}; {@link #close()} leaves {@code ops} open. */
    public static Backend over(Ops ops) {
        if (ops == null) throw new IllegalArgumentException("ops must not be null");
        return new Backend(ops, Backends.layersFor(ops), false);
    }

    /**
     * {@code layers} (which this backend now owns and closes) over a borrowed {@code ops}, e.g.
     * {@code new CudaLayerOps(cuda, true)} for TF32 convolutions next to a full-FP32 backend.
     */
    public static Backend over(Ops ops, LayerOps layers) {
        if (ops == null || layers == null) throw new IllegalArgumentException("ops and layers must not be null");
        if (!ops.name().equals(layers.name())) {
            throw new IllegalArgumentException("layer ops '" + layers.name() + "' do not work on '" + ops.name() + "' tensors");
        }
        return new Backend(ops, layers, false);
    }

    public Ops ops() { return ops; }

    public LayerOps layers() { return layers; }

    /** "cpu" or "cuda". */
    public String name() { return ops.name(); }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            layers.close();
        } finally {
            if (ownsOps) ops.close();
        }
    }

    @Override
    public String toString() { return "Backend[" + name() + "]"; }
}
