package io.vq4j.cuda.ffm;

import io.vq4j.cuda.CudaStream;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnAddTensor;
import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnBatchNormalizationForwardInference;
import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnConvolutionBackwardData;
import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnConvolutionBackwardFilter;
import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnConvolutionForward;
import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnCreate;
import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnDestroy;
import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnFindConvolutionBackwardDataAlgorithmEx;
import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnFindConvolutionBackwardFilterAlgorithmEx;
import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnFindConvolutionForwardAlgorithmEx;
import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnGetConvolutionBackwardDataWorkspaceSize;
import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnGetConvolutionBackwardFilterWorkspaceSize;
import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnGetConvolutionForwardWorkspaceSize;
import static io.vq4j.cuda.ffm.CudnnFunctions.cudnnSetStream;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * A cuDNN handle bound to one {@link CudaStream}, with the workspace and the convolution
 * algorithm cache that go with it. Every call is queued on that stream, in order with the
 * kernels and copies queued there.
 *
 * <p>The wrappers are thin: each takes the C function's arguments minus the handle (and the
 * batch-norm mode, always spatial), with descriptors as objects and device data as raw
 * addresses ({@code DeviceBuffer.address()} plus a byte offset), all FP32 packed NCHW. Result
 * blending is cuDNN's: {@code out = alpha * op(...) + beta * out}; with beta = 0 the output is
 * not read. Host scalars come from a confined arena per call (cuDNN reads them before returning).
 *
 * <p>Methods are synchronized: the workspace and algorithm cache are shared by the calls, and
 * close() must not race one. Close it (idempotent) to free the workspace and cuDNN's resources.
 */
public final class CudnnHandle implements AutoCloseable {
    private final CudaStream stream;
    private final MemorySegment handle;
    private final Workspace workspace;
    private final ConvAlgorithms algorithms = new ConvAlgorithms();
    private boolean closed;

    /**
     * Creates the handle and binds it to {@code stream}; if binding fails the handle is
     * destroyed before the exception leaves (nothing half-made).
     *
     * @throws IllegalStateException when cuDNN is not available (with every place tried)
     */
    public CudnnHandle(CudaStream stream) {
        Objects.requireNonNull(stream, "stream");
        Cudnn.requireAvailable();
        this.stream = stream;
        stream.context().bind(); // cuDNN uses whatever context is current: the primary one
        MemorySegment h;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            CudnnCheck.call("cudnnCreate", () -> (int) cudnnCreate.invokeExact(out));
            h = out.get(ADDRESS, 0);
        }
        try {
            MemorySegment raw = MemorySegment.ofAddress(stream.handle());
            CudnnCheck.call("cudnnSetStream", () -> (int) cudnnSetStream.invokeExact(h, raw));
        } catch (RuntimeException | Error e) {
            try {
                CudnnCheck.call("cudnnDestroy", () -> (int) cudnnDestroy.invokeExact(h));
            } catch (RuntimeException d) {
                e.addSuppressed(d);
            }
            throw e;
        }
        this.handle = h;
        this.workspace = new Workspace(stream);
    }

    public CudaStream stream() { return stream; }

    /** Bytes of device workspace this handle holds now (grows to the largest need, then stays). */
    public synchronized long workspaceBytes() { return workspace.bytes(); }

    /** How many (direction, shapes) keys the algorithm chooser has searched. */
    public synchronized int searchedAlgorithms() { return algorithms.size(); }

    // ---- convolutions ------------------------------------------------------------------------

    /** y = alpha conv(x, w) + beta y, with the fastest algorithm for these shapes (searched once). */
    public synchronized void convolutionForward(float alpha, TensorDescriptor xDesc, long x,
                                                FilterDescriptor wDesc, long w, ConvolutionDescriptor conv,
                                                float beta, TensorDescriptor yDesc, long y) {
        conv.params().requireOutput("convolutionForward", xDesc.dims(), wDesc.dims(), yDesc.dims());
        requireAddress("convolutionForward", "x", x);
        requireAddress("convolutionForward", "w", w);
        requireAddress("convolutionForward", "y", y);
        MemorySegment h = open();
        MemorySegment xd = xDesc.segment(), wd = wDesc.segment(), cd = conv.segment(), yd = yDesc.segment();
        MemorySegment px = ptr(x), pw = ptr(w), py = ptr(y);
        ConvAlgorithms.Key key = new ConvAlgorithms.Key(ConvAlgorithms.Direction.FORWARD,
                xDesc.dims(), wDesc.dims(), yDesc.dims(), conv.params());
        ConvAlgorithms.Choice c = algorithms.choose(key, () -> {
            conv.useMathType(conv.params().mathType()); // search under the math type asked for
            return ConvAlgorithms.search(key, "cudnnFindConvolutionForwardAlgorithmEx", stream,
                    conv.params().mathType(), y, bytes(yDesc), beta == 0f,
                    (algo, size) -> (int) cudnnGetConvolutionForwardWorkspaceSize.invokeExact(h, xd, wd, cd, yd, algo, size),
                    (out, n, ret, res, ws, wsBytes) -> (int) cudnnFindConvolutionForwardAlgorithmEx.invokeExact(
                            h, xd, px, wd, pw, cd, yd, out, n, ret, res, ws, wsBytes));
        });
        conv.useMathType(c.mathType());
        MemorySegment ws = workspace.ensure(c.workspaceBytes());
        long wsBytes = workspace.bytes();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pa = arena.allocateFrom(JAVA_FLOAT, alpha), pb = arena.allocateFrom(JAVA_FLOAT, beta);
            CudnnCheck.call(() -> "cudnnConvolutionForward(" + key + ", algo=" + c.algo() + ")",
                    () -> (int) cudnnConvolutionForward.invokeExact(h, pa, xd, px, wd, pw, cd, c.algo(), ws, wsBytes, pb, yd, py));
        }
    }

    /** dx = alpha conv<sup>T</sup>(dy, w) + beta dx: the gradient of the forward pass with respect to its input. */
    public synchronized void convolutionBackwardData(float alpha, FilterDescriptor wDesc, long w,
                                                     TensorDescriptor dyDesc, long dy, ConvolutionDescriptor conv,
                                                     float beta, TensorDescriptor dxDesc, long dx) {
        conv.params().requireOutput("convolutionBackwardData", dxDesc.dims(), wDesc.dims(), dyDesc.dims());
        requireAddress("convolutionBackwardData", "w", w);
        requireAddress("convolutionBackwardData", "dy", dy);
        requireAddress("convolutionBackwardData", "dx", dx);
        MemorySegment h = open();
        MemorySegment wd = wDesc.segment(), dyd = dyDesc.segment(), cd = conv.segment(), dxd = dxDesc.segment();
        MemorySegment pw = ptr(w), pdy = ptr(dy), pdx = ptr(dx);
        ConvAlgorithms.Key key = new ConvAlgorithms.Key(ConvAlgorithms.Direction.BACKWARD_DATA,
                dxDesc.dims(), wDesc.dims(), dyDesc.dims(), conv.params());
        ConvAlgorithms.Choice c = algorithms.choose(key, () -> {
            conv.useMathType(conv.params().mathType());
            return ConvAlgorithms.search(key, "cudnnFindConvolutionBackwardDataAlgorithmEx", stream,
                    conv.params().mathType(), dx, bytes(dxDesc), beta == 0f,
                    (algo, size) -> (int) cudnnGetConvolutionBackwardDataWorkspaceSize.invokeExact(h, wd, dyd, cd, dxd, algo, size),
                    (out, n, ret, res, ws, wsBytes) -> (int) cudnnFindConvolutionBackwardDataAlgorithmEx.invokeExact(
                            h, wd, pw, dyd, pdy, cd, dxd, out, n, ret, res, ws, wsBytes));
        });
        conv.useMathType(c.mathType());
        MemorySegment ws = workspace.ensure(c.workspaceBytes());
        long wsBytes = workspace.bytes();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pa = arena.allocateFrom(JAVA_FLOAT, alpha), pb = arena.allocateFrom(JAVA_FLOAT, beta);
            CudnnCheck.call(() -> "cudnnConvolutionBackwardData(" + key + ", algo=" + c.algo() + ")",
                    () -> (int) cudnnConvolutionBackwardData.invokeExact(h, pa, wd, pw, dyd, pdy, cd, c.algo(), ws, wsBytes, pb, dxd, pdx));
        }
    }

    /** dw = alpha corr(x, dy) + beta dw: the gradient of the forward pass with respect to its filter. */
    public synchronized void convolutionBackwardFilter(float alpha, TensorDescriptor xDesc, long x,
                                                       TensorDescriptor dyDesc, long dy, ConvolutionDescriptor conv,
                                                       float beta, FilterDescriptor dwDesc, long dw) {
        conv.params().requireOutput("convolutionBackwardFilter", xDesc.dims(), dwDesc.dims(), dyDesc.dims());
        requireAddress("convolutionBackwardFilter", "x", x);
        requireAddress("convolutionBackwardFilter", "dy", dy);
        requireAddress("convolutionBackwardFilter", "dw", dw);
        MemorySegment h = open();
        MemorySegment xd = xDesc.segment(), dyd = dyDesc.segment(), cd = conv.segment(), dwd = dwDesc.segment();
        MemorySegment px = ptr(x), pdy = ptr(dy), pdw = ptr(dw);
        ConvAlgorithms.Key key = new ConvAlgorithms.Key(ConvAlgorithms.Direction.BACKWARD_FILTER,
                xDesc.dims(), dwDesc.dims(), dyDesc.dims(), conv.params());
        ConvAlgorithms.Choice c = algorithms.choose(key, () -> {
            conv.useMathType(conv.params().mathType());
            return ConvAlgorithms.search(key, "cudnnFindConvolutionBackwardFilterAlgorithmEx", stream,
                    conv.params().mathType(), dw, 4L * dwDesc.dims().elements(), beta == 0f,
                    (algo, size) -> (int) cudnnGetConvolutionBackwardFilterWorkspaceSize.invokeExact(h, xd, dyd, cd, dwd, algo, size),
                    (out, n, ret, res, ws, wsBytes) -> (int) cudnnFindConvolutionBackwardFilterAlgorithmEx.invokeExact(
                            h, xd, px, dyd, pdy, cd, dwd, out, n, ret, res, ws, wsBytes));
        });
        conv.useMathType(c.mathType());
        MemorySegment ws = workspace.ensure(c.workspaceBytes());
        long wsBytes = workspace.bytes();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pa = arena.allocateFrom(JAVA_FLOAT, alpha), pb = arena.allocateFrom(JAVA_FLOAT, beta);
            CudnnCheck.call(() -> "cudnnConvolutionBackwardFilter(" + key + ", algo=" + c.algo() + ")",
                    () -> (int) cudnnConvolutionBackwardFilter.invokeExact(h, pa, xd, px, dyd, pdy, cd, c.algo(), ws, wsBytes, pb, dwd, pdw));
        }
    }

    /**
     * c = alpha a + beta c, where each dimension of a equals c's or is 1 (broadcast), e.g. a
     * 1 x C x 1 x 1 bias added to an N x C x H x W activation.
     */
    public synchronized void addTensor(float alpha, TensorDescriptor aDesc, long a,
                                       float beta, TensorDescriptor cDesc, long c) {
        Dims4 ad = aDesc.dims(), cdims = cDesc.dims();
        if (!broadcasts(ad.n(), cdims.n()) || !broadcasts(ad.c(), cdims.c())
                || !broadcasts(ad.h(), cdims.h()) || !broadcasts(ad.w(), cdims.w())) {
            throw new IllegalArgumentException("addTensor: a " + ad + " does not broadcast to c " + cdims
                    + " (each dimension of a must equal c's or be 1)");
        }
        requireAddress("addTensor", "a", a);
        requireAddress("addTensor", "c", c);
        MemorySegment h = open();
        MemorySegment aSeg = aDesc.segment(), cSeg = cDesc.segment();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pa = arena.allocateFrom(JAVA_FLOAT, alpha), pb = arena.allocateFrom(JAVA_FLOAT, beta);
            CudnnCheck.call(() -> "cudnnAddTensor(a=" + ad + ", c=" + cdims + ")",
                    () -> (int) cudnnAddTensor.invokeExact(h, pa, aSeg, ptr(a), pb, cSeg, ptr(c)));
        }
    }

    private static boolean broadcasts(int from, int to) {
        return from == to || from == 1;
    }

    // ---- batch normalization (spatial: per channel over N, H, W, like PyTorch's BatchNorm2d) --

    /** Inference-mode batch norm with the given (running) statistics: y = alpha (scale (x - mean) / sqrt(var + epsilon) + bias) + beta y. */
    public synchronized void batchNormForwardInference(float alpha, float beta,
                                                       TensorDescriptor xDesc, long x, TensorDescriptor yDesc, long y,
                                                       TensorDescriptor bnDesc, long scale, long bias,
                                                       long estimatedMean, long estimatedVariance, double epsilon) {
        String op = "batchNormForwardInference";
        requireBatchNormShapes(op, xDesc, yDesc, bnDesc);
        requireEpsilon(op, epsilon);
        requireAddress(op, "x", x);
        requireAddress(op, "y", y);
        requireAddress(op, "scale", scale);
        requireAddress(op, "bias", bias);
        requireAddress(op, "estimatedMean", estimatedMean);
        requireAddress(op, "estimatedVariance", estimatedVariance);
        MemorySegment h = open();
        MemorySegment xd = xDesc.segment(), yd = yDesc.segment(), bd = bnDesc.segment();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pa = arena.allocateFrom(JAVA_FLOAT, alpha), pb = arena.allocateFrom(JAVA_FLOAT, beta);
            CudnnCheck.call(() -> "cudnnBatchNormalizationForwardInference(x=" + xDesc.dims() + ")",
                    () -> (int) cudnnBatchNormalizationForwardInference.invokeExact(h, Descriptors.CUDNN_BATCHNORM_SPATIAL,
                            pa, pb, xd, ptr(x), yd, ptr(y), bd, ptr(scale), ptr(bias),
                            ptr(estimatedMean), ptr(estimatedVariance), epsilon));
        }
    }

    private static void requireBatchNormShapes(String op, TensorDescriptor x, TensorDescriptor y, TensorDescriptor bn) {
        if (!x.dims().equals(y.dims())) {
            throw new IllegalArgumentException(op + ": x is " + x.dims() + " but the other data tensor is " + y.dims());
        }
        Dims4 expected = new Dims4(1, x.dims().c(), 1, 1);
        if (!bn.dims().equals(expected)) {
            throw new IllegalArgumentException(op + ": x " + x.dims() + " needs parameter descriptor " + expected
                    + " (TensorDescriptor.batchNormParams), got " + bn.dims());
        }
    }

    private static void requireEpsilon(String op, double epsilon) {
        if (!(epsilon >= 0 && Double.isFinite(epsilon))) { // CUDNN_BN_MIN_EPSILON is 0 in cuDNN 9
            throw new IllegalArgumentException(op + ": epsilon must be finite and >= 0, got " + epsilon);
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static void requireAddress(String op, String name, long address) {
        if (address == 0) throw new IllegalArgumentException(op + ": " + name + " is a null device address");
    }

    private static long bytes(TensorDescriptor t) {
        return 4L * t.dims().elements();
    }

    private static MemorySegment ptr(long deviceAddress) {
        return MemorySegment.ofAddress(deviceAddress);
    }

    /** The raw handle, with the stream's context current on this thread. */
    private MemorySegment open() {
        if (closed) throw new IllegalStateException("CudnnHandle is closed");
        stream.context().bind();
        return handle;
    }

    /** Frees the workspace (stream-ordered) and destroys the handle; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        stream.context().bind();
        RuntimeException failure = null;
        try {
            workspace.close();
        } catch (RuntimeException e) {
            failure = e;
        }
        try { // destroyed even if freeing the workspace failed
            CudnnCheck.call("cudnnDestroy", () -> (int) cudnnDestroy.invokeExact(handle));
        } catch (RuntimeException e) {
            if (failure == null) failure = e;
            else failure.addSuppressed(e);
        }
        if (failure != null) throw failure;
    }
}
