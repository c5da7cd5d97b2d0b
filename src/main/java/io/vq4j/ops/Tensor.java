package io.vq4j.ops;

import io.vq4j.cuda.DeviceBuffer;

import java.util.Arrays;

/**
 * A minimal dense tensor: a shape, a {@link DType}, and storage either on the host (a Java array)
 * or on the device (a {@link DeviceBuffer}). Row-major (C order); images are NCHW.
 * Not a general tensor library: ops live in {@link Ops}.
 *
 * <p>Host tensors made by {@link #of(float[], int...)} wrap the array without copying. Device
 * tensors own their buffer and free it on {@link #close()} (idempotent; a no-op for host tensors).
 */
public final class Tensor implements AutoCloseable {
    /** Java arrays cap host tensors a little below 2^31 elements. */
    public static final long MAX_HOST_ELEMENTS = Integer.MAX_VALUE - 8;

    private final int[] shape;
    private final long numel;
    private final DType dtype;
    private final float[] floats;
    private final int[] ints;
    private final DeviceBuffer device;
    private volatile boolean closed;

    private Tensor(int[] shape, DType dtype, float[] floats, int[] ints, DeviceBuffer device) {
        this.shape = shape;
        this.numel = numel(shape);
        this.dtype = dtype;
        this.floats = floats;
        this.ints = ints;
        this.device = device;
    }

    // ---- construction -------------------------------------------------------------------

    /** Wraps {@code data} (no copy) as a float32 host tensor of {@code shape}. */
    public static Tensor of(float[] data, int... shape) {
        checkShape(shape, "shape");
        if (data == null) throw new IllegalArgumentException("data must not be null");
        if (data.length != numel(shape)) {
            throw new IllegalArgumentException("data has " + data.length + " elements but shape " + Arrays.toString(shape)
                    + " needs " + numel(shape));
        }
        return new Tensor(shape.clone(), DType.F32, data, null, null);
    }

    /** Wraps {@code data} (no copy) as an int32 host tensor of {@code shape}. */
    public static Tensor ofInts(int[] data, int... shape) {
        checkShape(shape, "shape");
        if (data == null) throw new IllegalArgumentException("data must not be null");
        if (data.length != numel(shape)) {
            throw new IllegalArgumentException("data has " + data.length + " elements but shape " + Arrays.toString(shape)
                    + " needs " + numel(shape));
        }
        return new Tensor(shape.clone(), DType.I32, null, data, null);
    }

    /** A zero-filled host tensor. */
    public static Tensor zeros(DType dtype, int... shape) {
        checkShape(shape, "shape");
        long n = numel(shape);
        if (n > MAX_HOST_ELEMENTS) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has " + n
                    + " elements, more than a host tensor can hold (" + MAX_HOST_ELEMENTS + ")");
        }
        return dtype == DType.F32 ? new Tensor(shape.clone(), dtype, new float[(int) n], null, null)
                : new Tensor(shape.clone(), dtype, null, new int[(int) n], null);
    }

    /** A device tensor over {@code buffer}, which it then owns. For backends. */
    public static Tensor onDevice(DeviceBuffer buffer, DType dtype, int... shape) {
        checkShape(shape, "shape");
        if (buffer.bytes() < numel(shape) * dtype.bytes()) {
            throw new IllegalArgumentException("buffer of " + buffer.bytes() + " bytes is too small for "
                    + dtype + Arrays.toString(shape));
        }
        return new Tensor(shape.clone(), dtype, null, null, buffer);
    }

    // ---- shape ----------------------------------------------------------------------------

    public int[] shape() { return shape.clone(); }
    public int rank() { return shape.length; }
    public long numel() { return numel; }
    public DType dtype() { return dtype; }

    /** Size of dimension {@code i}; negative {@code i} counts from the end. */
    public int dim(int i) { return shape[i < 0 ? shape.length + i : i]; }

    public boolean isOnDevice() { return device != null; }

    /** The shape as {@code [2, 3, 4]}. */
    public String shapeString() { return Arrays.toString(shape); }

    /** Shape and dtype, e.g. {@code F32[2, 3]}, for error messages. */
    public String describe() { return dtype + shapeString() + (device != null ? "@cuda" : ""); }

    // ---- storage --------------------------------------------------------------------------

    /** The backing float array of a host F32 tensor (no copy). For CPU kernels. */
    public float[] hostFloats() {
        ensureOpen();
        if (floats == null) throw new IllegalStateException("not a host F32 tensor: " + describe());
        return floats;
    }

    /** The backing int array of a host I32 tensor (no copy). For CPU kernels. */
    public int[] hostInts() {
        ensureOpen();
        if (ints == null) throw new IllegalStateException("not a host I32 tensor: " + describe());
        return ints;
    }

    /** The device buffer of a device tensor. For CUDA kernels and FFM calls. */
    public DeviceBuffer deviceBuffer() {
        ensureOpen();
        if (device == null) throw new IllegalStateException("not a device tensor: " + describe());
        return device;
    }

    /** A copy of the contents as floats (F32 only), wherever they live. */
    public float[] toFloatArray() {
        ensureOpen();
        if (dtype != DType.F32) throw new IllegalStateException("toFloatArray on " + describe());
        if (floats != null) return floats.clone();
        float[] out = new float[hostLength()];
        device.copyTo(out, 0, 0, out.length);
        return out;
    }

    /** A copy of the contents as ints (I32 only), wherever they live. */
    public int[] toIntArray() {
        ensureOpen();
        if (dtype != DType.I32) throw new IllegalStateException("toIntArray on " + describe());
        if (ints != null) return ints.clone();
        int[] out = new int[hostLength()];
        device.copyTo(out, 0, 0, out.length);
        return out;
    }

    /** The single value of a one-element F32 tensor. */
    public float item() {
        if (numel != 1) throw new IllegalStateException("item() on " + describe() + " (needs exactly one element)");
        return toFloatArray()[0];
    }

    /** A host copy of this tensor (the same object's data is copied; host tensors are cloned). */
    public Tensor toHost() {
        return dtype == DType.F32 ? of(toFloatArray(), shape) : ofInts(toIntArray(), shape);
    }

    public boolean isClosed() { return closed; }

    private int hostLength() {
        if (numel > MAX_HOST_ELEMENTS) throw new IllegalStateException(describe() + " is too large for a Java array");
        return (int) numel;
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("tensor " + describe() + " is closed");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (device != null) device.close();
    }

    @Override
    public String toString() { return "Tensor" + describe(); }

    // ---- helpers --------------------------------------------------------------------------

    public static long numel(int[] shape) {
        long n = 1;
        for (int s : shape) n *= s;
        return n;
    }

    private static void checkShape(int[] shape, String what) {
        if (shape == null) throw new IllegalArgumentException(what + " must not be null");
        for (int s : shape) {
            if (s < 0) throw new IllegalArgumentException(what + " " + Arrays.toString(shape) + " has a negative dimension");
        }
    }
}
