package io.vq4j.cuda.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnCreateConvolutionDescriptor;
import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnDestroyConvolutionDescriptor;
import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnGetConvolution2dForwardOutputDim;
import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnSetConvolution2dDescriptor;
import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnSetConvolutionMathType;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A cuDNN 2-d convolution descriptor: zero padding, stride and dilation per axis, FP32 compute,
 * cross-correlation (PyTorch's Conv2d: the filter is not flipped), one group. Host-side
 * metadata only. Close it (idempotent) when no call will use it any more.
 *
 * <p>The math type asked for is {@link Params#mathType()}. The algorithm search may pick an
 * algorithm measured under another math type; {@link CudnnHandle} then sets that one on the
 * native descriptor before running it (as PyTorch does), except that {@link CudnnMathType#FMA}
 * is never relaxed: asking for full FP32 keeps it.
 */
public final class ConvolutionDescriptor implements AutoCloseable {

    /**
     * The descriptor's settings (part of the algorithm cache key) and the shape arithmetic they
     * imply, computed here without cuDNN.
     */
    public record Params(int padH, int padW, int strideH, int strideW, int dilationH, int dilationW,
                         CudnnMathType mathType) {
        public Params {
            Objects.requireNonNull(mathType, "mathType");
            if (padH < 0 || padW < 0 || strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1) {
                throw new IllegalArgumentException("convolution: need pad >= 0, stride >= 1, dilation >= 1, got pad="
                        + padH + "x" + padW + ", stride=" + strideH + "x" + strideW + ", dilation=" + dilationH + "x" + dilationW);
            }
        }

        /**
         * N x K x P x Q for input x (N x C x H x W) and filter w (K x C x R x S), with
         * P = (H + 2 padH - dilationH (R - 1) - 1) / strideH + 1 (floor), Q likewise.
         *
         * @throws IllegalArgumentException if the channels differ or the output is empty
         */
        public Dims4 output(Dims4 x, Dims4 w) {
            if (x.c() != w.c()) {
                throw new IllegalArgumentException("convolution: input " + x + " has " + x.c()
                        + " channels but filter " + w + " expects " + w.c());
            }
            long p = outputSize(x.h(), w.h(), padH, strideH, dilationH);
            long q = outputSize(x.w(), w.w(), padW, strideW, dilationW);
            if (p < 1 || q < 1 || p > Integer.MAX_VALUE || q > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("convolution: input " + x + " with filter " + w + " and " + this
                        + " gives an output of " + p + " x " + q + (p < 1 || q < 1 ? " (empty)" : " (too large)"));
            }
            return new Dims4(x.n(), w.n(), (int) p, (int) q);
        }

        /** Checks that {@code y} is the output of {@code x} convolved by {@code w} (for every direction). */
        void requireOutput(String op, Dims4 x, Dims4 w, Dims4 y) {
            Dims4 expected = output(x, w);
            if (!expected.equals(y)) {
                throw new IllegalArgumentException(op + ": input " + x + " and filter " + w + " with " + this
                        + " give output " + expected + ", but the output descriptor is " + y);
            }
        }

        /** One spatial axis, in 64 bits so large pads cannot overflow; < 1 means empty. */
        static long outputSize(int in, int filter, int pad, int stride, int dilation) {
            long span = (long) dilation * (filter - 1) + 1;
            long room = (long) in + 2L * pad - span;
            return room < 0 ? 0 : room / stride + 1;
        }
    }

    private final MemorySegment desc;
    private final Params params;
    private CudnnMathType nativeMathType; // what cuDNN's descriptor holds now
    private boolean closed;

    /**
     * @param padH zero padding rows on each side (>= 0)
     * @param strideH step between output rows (>= 1)
     * @param dilationH spacing between filter taps (>= 1; 1 is a dense filter)
     * @param mathType see {@link CudnnMathType}; FMA for full FP32
     */
    public ConvolutionDescriptor(int padH, int padW, int strideH, int strideW, int dilationH, int dilationW,
                                 CudnnMathType mathType) {
        Params p = new Params(padH, padW, strideH, strideW, dilationH, dilationW, mathType); // checks them
        MemorySegment d = Descriptors.create(cudnnCreateConvolutionDescriptor, "cudnnCreateConvolutionDescriptor");
        try {
            CudnnCheck.call("cudnnSetConvolution2dDescriptor(" + p + ")",
                    () -> (int) cudnnSetConvolution2dDescriptor.invokeExact(d, padH, padW, strideH, strideW,
                            dilationH, dilationW, Descriptors.CUDNN_CROSS_CORRELATION, Descriptors.CUDNN_DATA_FLOAT));
            CudnnCheck.call("cudnnSetConvolutionMathType(" + mathType + ")",
                    () -> (int) cudnnSetConvolutionMathType.invokeExact(d, mathType.code()));
        } catch (RuntimeException | Error e) {
            Descriptors.destroyAfterFailure(cudnnDestroyConvolutionDescriptor, d, "cudnnDestroyConvolutionDescriptor", e);
            throw e;
        }
        this.desc = d;
        this.params = p;
        this.nativeMathType = mathType;
    }

    public Params params() { return params; }

    /** Output dimensions of this convolution of {@code x} by {@code w}, as cuDNN computes them. */
    public Dims4 outputDims(TensorDescriptor x, FilterDescriptor w) {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(w, "w");
        params.output(x.dims(), w.dims()); // channel mismatch and empty output: IllegalArgumentException first
        MemorySegment cd = segment(), xd = x.segment(), wd = w.segment();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT, 4);
            MemorySegment n = out, c = out.asSlice(4), h = out.asSlice(8), wo = out.asSlice(12);
            CudnnCheck.call("cudnnGetConvolution2dForwardOutputDim(x=" + x.dims() + ", w=" + w.dims() + ", " + params + ")",
                    () -> (int) cudnnGetConvolution2dForwardOutputDim.invokeExact(cd, xd, wd, n, c, h, wo));
            return new Dims4(out.getAtIndex(JAVA_INT, 0), out.getAtIndex(JAVA_INT, 1),
                    out.getAtIndex(JAVA_INT, 2), out.getAtIndex(JAVA_INT, 3));
        }
    }

    /** Sets {@code type} on the native descriptor if it holds another one. */
    synchronized void useMathType(CudnnMathType type) {
        if (closed) throw new IllegalStateException("ConvolutionDescriptor is closed");
        if (type == nativeMathType) return;
        CudnnCheck.call("cudnnSetConvolutionMathType(" + type + ")",
                () -> (int) cudnnSetConvolutionMathType.invokeExact(desc, type.code()));
        nativeMathType = type;
    }

    /** The raw cudnnConvolutionDescriptor_t. */
    synchronized MemorySegment segment() {
        if (closed) throw new IllegalStateException("ConvolutionDescriptor is closed");
        return desc;
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        Descriptors.destroy(cudnnDestroyConvolutionDescriptor, desc, "cudnnDestroyConvolutionDescriptor");
    }

    @Override
    public String toString() { return "ConvolutionDescriptor[" + params + "]"; }
}
