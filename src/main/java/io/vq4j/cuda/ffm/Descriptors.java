package io.vq4j.cuda.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;

/**
 * Create and destroy for cuDNN's opaque descriptors (tensor, filter, convolution), which all
 * follow {@code cudnnCreateXDescriptor(X_t*)} / {@code cudnnDestroyXDescriptor(X_t)}. Host-side
 * objects: no handle, stream or current context needed.
 */
final class Descriptors {
    private Descriptors() {}

    static final int CUDNN_DATA_FLOAT = 0;              // cudnnDataType_t
    static final int CUDNN_TENSOR_NCHW = 0;             // cudnnTensorFormat_t
    static final int CUDNN_CROSS_CORRELATION = 1;       // cudnnConvolutionMode_t: what deep learning calls convolution
    static final int CUDNN_BATCHNORM_SPATIAL = 1;       // cudnnBatchNormMode_t: one scale/bias per channel, like BatchNorm2d

    /** A new descriptor from {@code create} (a {@code cudnnStatus_t (X_t*)} handle). */
    static MemorySegment create(MethodHandle create, String name) {
        Cudnn.requireAvailable();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            CudnnCheck.call(name, () -> (int) create.invokeExact(out));
            return out.get(ADDRESS, 0);
        }
    }

    /** Destroys {@code desc} with {@code destroy} (a {@code cudnnStatus_t (X_t)} handle). */
    static void destroy(MethodHandle destroy, MemorySegment desc, String name) {
        CudnnCheck.call(name, () -> (int) destroy.invokeExact(desc));
    }

    /** Undoes a create whose set step failed; a failure here is added to {@code cause}. */
    static void destroyAfterFailure(MethodHandle destroy, MemorySegment desc, String name, Throwable cause) {
        try {
            destroy(destroy, desc, name);
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }
}
