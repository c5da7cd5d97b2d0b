package io.vq4j.cuda;

import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * A CUDA stream of the primary context. Created blocking (flags 0), so the synchronous
 * host&lt;-&gt;device copies JCuda does on the legacy default stream are ordered with our kernels.
 * {@link #handle()} is the raw {@code CUstream} for FFM calls (cublasSetStream, cudnnSetStream).
 */
public final class CudaStream implements AutoCloseable {
    /** CUstream whose native handle is readable. */
    static final class RawStream extends CUstream {
        long handle() { return getNativePointer(); }
    }

    private final CudaContext context;
    private final RawStream stream = new RawStream();
    private final BlockCache cache = new BlockCache();
    private boolean closed;

    CudaStream(CudaContext context) {
        this.context = context;
        context.bind();
        CudaCheck.check(JCudaDriver.cuStreamCreate(stream, 0), "cuStreamCreate");
    }

    public CUstream jcuda() {
        ensureOpen();
        return stream;
    }

    /** Raw {@code CUstream} handle, for FFM calls into cuBLAS and cuDNN. */
    public long handle() {
        ensureOpen();
        return stream.handle();
    }

    public CudaContext context() { return context; }

    BlockCache cache() { return cache; }

    /** Bytes of freed device blocks this stream keeps for reuse ({@link BlockCache}). */
    public long cachedBytes() { return cache.cachedBytes(); }

    /**
     * Hands the blocks of freed buffers this stream keeps for reuse back to the driver's pool
     * (stream-ordered), e.g. before measuring an op's peak memory from a clean state.
     */
    public void trimCache() {
        ensureOpen();
        context.bind();
        for (DevicePointer p : cache.drain()) {
            CudaCheck.check(JCudaDriver.cuMemFreeAsync(p, stream), "cuMemFreeAsync");
        }
    }

    /** Waits for everything queued on this stream; asynchronous kernel errors surface here. */
    public void synchronize() {
        ensureOpen();
        context.bind();
        CudaCheck.check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("CudaStream is closed");
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        context.bind();
        trimCache();
        closed = true;
        JCudaDriver.cuStreamSynchronize(stream);
        CudaCheck.check(JCudaDriver.cuStreamDestroy(stream), "cuStreamDestroy");
    }
}
