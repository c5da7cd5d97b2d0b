package io.vq4j.cuda.ffm;

import java.lang.foreign.MemorySegment;

import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnCreateFilterDescriptor;
import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnDestroyFilterDescriptor;
import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnSetFilter4dDescriptor;

/**
 * A cuDNN filter descriptor: FP32 convolution weights of k x c x r x s (output channels, input
 * channels, height, width), packed KCRS, PyTorch's Conv2d weight layout. Host-side metadata only.
 * Close it (idempotent) when no call will use it any more.
 */
public final class FilterDescriptor implements AutoCloseable {
    private final MemorySegment desc;
    private final Dims4 dims;
    private boolean closed;

    private FilterDescriptor(MemorySegment desc, Dims4 dims) {
        this.desc = desc;
        this.dims = dims;
    }

    /** Packed KCRS FP32 weights of k x c x r x s (each >= 1). */
    public static FilterDescriptor kcrs(int k, int c, int r, int s) {
        Dims4 d = Dims4.checked("FilterDescriptor.kcrs", k, c, r, s);
        MemorySegment f = Descriptors.create(cudnnCreateFilterDescriptor, "cudnnCreateFilterDescriptor");
        try {
            CudnnCheck.call("cudnnSetFilter4dDescriptor(FLOAT, NCHW, " + d + ")",
                    () -> (int) cudnnSetFilter4dDescriptor.invokeExact(f, Descriptors.CUDNN_DATA_FLOAT,
                            Descriptors.CUDNN_TENSOR_NCHW, k, c, r, s));
        } catch (RuntimeException | Error e) {
            Descriptors.destroyAfterFailure(cudnnDestroyFilterDescriptor, f, "cudnnDestroyFilterDescriptor", e);
            throw e;
        }
        return new FilterDescriptor(f, d);
    }

    /** (k, c, r, s) as a {@link Dims4}: n = k output channels, c = input channels, h = r, w = s. */
    public Dims4 dims() { return dims; }

    /** The raw cudnnFilterDescriptor_t. */
    synchronized MemorySegment segment() {
        if (closed) throw new IllegalStateException("FilterDescriptor " + dims + " is closed");
        return desc;
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        Descriptors.destroy(cudnnDestroyFilterDescriptor, desc, "cudnnDestroyFilterDescriptor");
    }

    @Override
    public String toString() { return "FilterDescriptor[" + dims + "]"; }
}
