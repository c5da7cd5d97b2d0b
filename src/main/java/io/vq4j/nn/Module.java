package io.vq4j.nn;

import io.vq4j.ops.DType;
import io.vq4j.ops.LayerOps;
import io.vq4j.ops.Ops;
import io.vq4j.ops.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node of a model tree, PyTorch style: its own {@link Parameter}s and {@link Buffer}s, and named
 * children. Names are PyTorch state_dict keys: a child registered as "encoder" prefixes every
 * name below it with "encoder." (children are built first, then registered, so names settle
 * while the tree is built).
 *
 * <p>Orders follow PyTorch: {@link #parameters()} is own parameters then each child's, recursively;
 * {@link #stateDict()} is own parameters, own buffers, then each child's.
 *
 * <p>{@link #close()} frees every tensor the tree holds (parameters, gradients, moments, buffers,
 * what layers kept for backward and the outputs they own); it is idempotent and safe on a module
 * whose construction failed halfway.
 */
public abstract class Module implements AutoCloseable {
    private final Backend backend;
    private final List<Parameter> params = new ArrayList<>();
    private final List<Buffer> buffers = new ArrayList<>();
    private final LinkedHashMap<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;
    private boolean closed;

    protected Module(Backend backend) {
        if (backend == null) throw new IllegalArgumentException("backend must not be null");
        this.backend = backend;
    }

    public final Backend backend() { return backend; }

    protected final Ops ops() { return backend.ops(); }

    protected final LayerOps layers() { return backend.layers(); }

    // ---- building ---------------------------------------------------------------------------

    /** Registers a parameter initialised from host data (copied into the backend's memory). */
    protected final Parameter addParameter(String name, float[] init, int... shape) {
        return addParameter(name, init, true, shape);
    }

    protected final Parameter addParameter(String name, float[] init, boolean requiresGrad, int... shape) {
        Tensor host = Tensor.of(init, shape);
        Parameter p = new Parameter(name, ops().upload(host), requiresGrad);
        params.add(p);
        return p;
    }

    /** Registers a buffer initialised from host data (copied into the backend's memory). */
    protected final Buffer addBuffer(String name, float[] init, int... shape) {
        Buffer b = new Buffer(name, ops().upload(Tensor.of(init, shape)), false);
        buffers.add(b);
        return b;
    }

    /** Registers a host-only buffer that takes ownership of {@code hostValue}. */
    protected final Buffer addHostBuffer(String name, Tensor hostValue) {
        Buffer b = new Buffer(name, hostValue, true);
        buffers.add(b);
        return b;
    }

    /** Registers a child under {@code name}, prefixing every name below it with {@code name + "."}. */
    protected final <M extends Module> M addChild(String name, M child) {
        if (children.containsKey(name)) throw new IllegalArgumentException("duplicate child name " + name);
        children.put(name, child);
        String p = name + ".";
        for (Parameter q : child.parameters()) q.prefix(p);
        for (Buffer b : child.buffers()) b.prefix(p);
        child.train(training);
        return child;
    }

    // ---- the tree ---------------------------------------------------------------------------

    /** Every parameter of the tree, own first then children's (PyTorch's parameters() order). */
    public final List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>(params);
        for (Module c : children.values()) out.addAll(c.parameters());
        return out;
    }

    /** Every buffer of the tree, own first then children's. */
    public final List<Buffer> buffers() {
        List<Buffer> out = new ArrayList<>(buffers);
        for (Module c : children.values()) out.addAll(c.buffers());
        return out;
    }

    /** The direct children by name, in registration order. */
    public final Map<String, Module> children() { return Collections.unmodifiableMap(children); }

    /** Training mode (batch statistics, k-means init, latent sampling) or eval mode, for the whole tree. */
    public void train(boolean on) {
        training = on;
        for (Module c : children.values()) c.train(on);
    }

    public final boolean isTraining() { return training; }

    // ---- state dict -------------------------------------------------------------------------

    /** Parameters and buffers in PyTorch's state_dict order, as name -> (value, kind). */
    private void collect(LinkedHashMap<String, Object> out) {
        for (Parameter p : params) out.put(p.name(), p);
        for (Buffer b : buffers) out.put(b.name(), b);
        for (Module c : children.values()) c.collect(out);
    }

    private LinkedHashMap<String, Object> entries() {
        LinkedHashMap<String, Object> out = new LinkedHashMap<>();
        collect(out);
        return out;
    }

    private static Tensor valueOf(Object entry) {
        return entry instanceof Parameter p ? p.value() : ((Buffer) entry).value();
    }

    /**
     * HOST copies of every parameter and buffer under its PyTorch state_dict key, in PyTorch's
     * order. Batch norm's {@code num_batches_tracked} (int64 scalar in PyTorch) is an I32 tensor
     * of shape {@code []} here; the file layer converts it.
     */
    public final LinkedHashMap<String, Tensor> stateDict() {
        ensureOpen();
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : entries().entrySet()) out.put(e.getKey(), valueOf(e.getValue()).toHost());
        return out;
    }

    /**
     * Replaces every parameter and buffer with the map's tensors (host or this backend's memory;
     * copied, the map is not retained). Validates first: every key present, none unexpected, each
     * dtype and shape equal; otherwise throws {@link IllegalArgumentException} listing all the
     * missing, unexpected and mismatched keys, and the model is unchanged. Gradients and Adam
     * moments are kept (their shapes are unchanged).
     */
    public final void loadStateDict(Map<String, Tensor> state) {
        ensureOpen();
        if (state == null) throw new IllegalArgumentException("state dict must not be null");
        LinkedHashMap<String, Object> expected = entries();
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>(), mismatched = new ArrayList<>();
        for (Map.Entry<String, Object> e : expected.entrySet()) {
            Tensor mine = valueOf(e.getValue());
            Tensor t = state.get(e.getKey());
            if (!state.containsKey(e.getKey())) missing.add(e.getKey());
            else if (t == null || t.isClosed()) mismatched.add(e.getKey() + " (" + (t == null ? "null" : "closed") + ")");
            else if (t.dtype() != mine.dtype() || !Arrays.equals(t.shape(), mine.shape())) {
                mismatched.add(e.getKey() + " (expected " + mine.dtype() + mine.shapeString() + ", got "
                        + t.dtype() + t.shapeString() + ")");
            }
        }
        for (String k : state.keySet()) if (!expected.containsKey(k)) unexpected.add(k);
        if (!missing.isEmpty() || !unexpected.isEmpty() || !mismatched.isEmpty()) {
            throw new IllegalArgumentException("state dict does not fit " + getClass().getSimpleName()
                    + ": missing keys " + missing + ", unexpected keys " + unexpected + ", mismatched " + mismatched);
        }
        // copy everything first, swap only when every copy succeeded: nothing half-loaded
        List<Tensor> copies = new ArrayList<>(expected.size());
        try {
            for (Map.Entry<String, Object> e : expected.entrySet()) {
                Tensor src = state.get(e.getKey());
                boolean host = e.getValue() instanceof Buffer b && b.hostOnly();
                copies.add(host ? src.toHost() : ops().upload(src));
            }
        } catch (RuntimeException ex) {
            for (Tensor c : copies) c.close();
            throw ex;
        }
        int i = 0;
        for (Object entry : expected.values()) {
            Tensor c = copies.get(i++);
            if (entry instanceof Parameter p) p.replaceValue(c);
            else ((Buffer) entry).replaceValue(c);
        }
        afterLoad();
    }

    /** Called on the whole tree after a successful {@link #loadStateDict}. */
    protected void onLoad() {}

    private void afterLoad() {
        onLoad();
        for (Module c : children.values()) c.afterLoad();
    }

    // ---- closing ----------------------------------------------------------------------------

    /** Frees what a subclass holds besides parameters and buffers (saved tensors, owned outputs). */
    protected void releaseOwned() {}

    public final boolean isClosed() { return closed; }

    protected final void ensureOpen() {
        if (closed) throw new IllegalStateException(getClass().getSimpleName() + " is closed");
    }

    @Override
    public final void close() {
        if (closed) return;
        closed = true;
        // free everything even if one close throws (device errors): remember the first failure
        RuntimeException first = null;
        try {
            releaseOwned();
        } catch (RuntimeException e) {
            first = e;
        }
        for (Parameter p : params) first = closeQuietly(p, first);
        for (Buffer b : buffers) first = closeQuietly(b, first);
        for (Module c : children.values()) first = closeQuietly(c, first);
        if (first != null) throw first;
    }

    private static RuntimeException closeQuietly(AutoCloseable c, RuntimeException first) {
        try {
            c.close();
        } catch (RuntimeException e) {
            if (first == null) return e;
            first.addSuppressed(e);
        } catch (Exception e) {
            RuntimeException r = new IllegalStateException(e);
            if (first == null) return r;
            first.addSuppressed(r);
        }
        return first;
    }

    /** Closes {@code t} if not null; returns null (for {@code field = close(field)}). */
    protected static Tensor close(Tensor t) {
        if (t != null) t.close();
        return null;
    }

    /** A host I32 scalar (shape []), e.g. num_batches_tracked. */
    static Tensor intScalar(int v) {
        Tensor t = Tensor.zeros(DType.I32);
        t.hostInts()[0] = v;
        return t;
    }
}
