package io.vq4j.cuda.ffm;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnCreateTensorDescriptor;
import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnDeriveBNTensorDescriptor;
import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnDestroyTensorDescriptor;
import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnSetTensor4dDescriptor;

/**
 * A cuDNN tensor descriptor: a packed NCHW FP32 tensor of the given dimensions. Host-side
 * metadata only (no device memory). Close it (idempotent) when no call will use it any more.
 */
public final class TensorDescriptor implements AutoCloseable {
    private final MemorySegment desc;
    private final Dims4 dims;
    private boolean closed;

    private TensorDescriptor(MemorySegment desc, Dims4 dims) {
        this.desc = desc;
        this.dims = dims;
    }

    /** A packed NCHW FP32 tensor of n x c x h x w (each >= 1). */
    public static TensorDescriptor nchw(int n, int c, int h, int w) {
        Dims4 d = Dims4.checked("TensorDescriptor.nchw", n, c, h, w);
        return nchwUnchecked(d.n(), d.c(), d.h(), d.w());
    }

    /** {@link #nchw} without the Java-side checks, so tests can see cuDNN's own answer to bad dimensions. */
    static TensorDescriptor nchwUnchecked(int n, int c, int h, int w) {
        Dims4 d = new Dims4(n, c, h, w);
        MemorySegment t = Descriptors.create(cudnnCreateTensorDescriptor, "cudnnCreateTensorDescriptor");
        try {
            CudnnCheck.call("cudnnSetTensor4dDescriptor(NCHW, FLOAT, " + d + ")",
                    () -> (int) cudnnSetTensor4dDescriptor.invokeExact(t, Descriptors.CUDNN_TENSOR_NCHW,
                            Descriptors.CUDNN_DATA_FLOAT, n, c, h, w));
        } catch (RuntimeException | Error e) {
            Descriptors.destroyAfterFailure(cudnnDestroyTensorDescriptor, t, "cudnnDestroyTensorDescriptor", e);
            throw e;
        }
        return new TensorDescriptor(t, d);
    }

    /**
     * The descriptor of the per-channel batch-norm parameters (scale, bias, running and saved
     * mean and variance) for input {@code x}: 1 x C x 1 x 1, derived by cuDNN in spatial mode
     * (statistics over N, H and W, as PyTorch's BatchNorm2d).
     */
    public static TensorDescriptor batchNormParams(TensorDescriptor x) {
        Objects.requireNonNull(x, "x");
        MemorySegment xs = x.segment();
        MemorySegment t = Descriptors.create(cudnnCreateTensorDescriptor, "cudnnCreateTensorDescriptor");
        try {
            CudnnCheck.call("cudnnDeriveBNTensorDescriptor(x=" + x.dims() + ", SPATIAL)",
                    () -> (int) cudnnDeriveBNTensorDescriptor.invokeExact(t, xs, Descriptors.CUDNN_BATCHNORM_SPATIAL));
        } catch (RuntimeException | Error e) {
            Descriptors.destroyAfterFailure(cudnnDestroyTensorDescriptor, t, "cudnnDestroyTensorDescriptor", e);
            throw e;
        }
        return new TensorDescriptor(t, new Dims4(1, x.dims().c(), 1, 1));
    }

    public Dims4 dims() { return dims; }

    /** The raw cudnnTensorDescriptor_t. */
    synchronized MemorySegment segment() {
        if (closed) throw new IllegalStateException("TensorDescriptor " + dims + " is closed");
        return desc;
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        Descriptors.destroy(cudnnDestroyTensorDescriptor, desc, "cudnnDestroyTensorDescriptor");
    }

    @Override
    public String toString() { return "TensorDescriptor[" + dims + "]"; }
}
