package io.vq4j.ops;

import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.DeviceBuffer;

/**
 * The CUDA backend: every op runs as fused kernels from cuda/ on the process's default stream
 * of the primary context. Inputs and outputs are device tensors ({@link #upload} copies host
 * tensors in). The op families live in {@link CudaNearest}, {@link CudaCodebook} and {@link CudaGaussian}; this class routes
 * and owns the allocation helper they share.
 */
public final class CudaOps extends CheckedOps {
    private final Cuda.Runtime rt;
    private volatile boolean closed;
    private volatile NearestSearch nearestSearch = NearestSearch.fromProperty();

    /** Throws {@link IllegalStateException} with the reason when CUDA is not available. */
    public CudaOps() {
        this.rt = Cuda.runtime();
    }

    public Cuda.Runtime runtime() {
        if (closed) throw new IllegalStateException("CudaOps is closed");
        rt.context().bind();
        return rt;
    }

    @Override public String name() { return "cuda"; }

    /** The nearest-code search this backend runs (default: {@code -Dvq4j.nearest}, else AUTO). */
    public NearestSearch nearestSearch() { return nearestSearch; }

    /** Picks the nearest-code search; every search returns the same indices (see {@link NearestSearch}). */
    public void nearestSearch(NearestSearch search) {
        if (search == null) throw new IllegalArgumentException("search must not be null");
        nearestSearch = search;
    }

    @Override protected boolean holds(Tensor t) { return t.isOnDevice(); }

    /** An uninitialised device tensor on this backend's stream. */
    public Tensor empty(DType dtype, int... shape) {
        long bytes = Tensor.numel(shape) * dtype.bytes();
        return Tensor.onDevice(new DeviceBuffer(runtime().stream(), bytes), dtype, shape);
    }

    @Override
    public Tensor zeros(DType dtype, int... shape) {
        Tensor t = empty(dtype, shape);
        t.deviceBuffer().fill32(0);
        return t;
    }

    @Override
    public Tensor upload(Tensor t) {
        if (t == null) throw new IllegalArgumentException("tensor must not be null");
        Tensor out = empty(t.dtype(), t.shape());
        try {
            if (t.isOnDevice()) {
                out.deviceBuffer().copyFromDevice(t.deviceBuffer(), 0, 0, t.numel() * t.dtype().bytes());
            } else if (t.dtype() == DType.F32) {
                float[] a = t.hostFloats();
                out.deviceBuffer().copyFrom(a, 0, 0, a.length);
            } else {
                int[] a = t.hostInts();
                out.deviceBuffer().copyFrom(a, 0, 0, a.length);
            }
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    @Override public void synchronize() { runtime().stream().synchronize(); }

    /** The process-wide stream and context stay alive (other CudaOps share them); nothing else is held. */
    @Override public void close() { closed = true; }

    // ---- VQ -------------------------------------------------------------------------------

    @Override protected NearestCode doNearestCode(VqLayout g, Tensor z, Tensor codebook, boolean withDistances) {
        return CudaNearest.nearestCode(this, g, z, codebook, withDistances);
    }

    @Override protected NearestQuantized doNearestQuantize(VqLayout g, Tensor z, Tensor codebook) {
        return CudaNearest.nearestQuantize(this, g, z, codebook);
    }

    @Override protected Quantized doQuantize(VqLayout g, Tensor z, Tensor codebook, Tensor indices) {
        return CudaNearest.quantize(this, g, z, codebook, indices);
    }

    @Override protected VqGrads doVqBackward(VqLayout g, Tensor gradOut, Tensor z, Tensor codebook, Tensor indices,
                                             float beta, boolean deterministic) {
        return CudaCodebook.backward(this, g, gradOut, z, codebook, indices, beta, deterministic);
    }

    @Override protected Tensor doCodeCounts(Tensor indices, int k) { return CudaCodebook.codeCounts(this, indices, k); }

    @Override protected CodebookStats doCodebookStats(Tensor counts, double deadThreshold) {
        return CudaCodebook.codebookStats(this, counts, deadThreshold);
    }

    @Override protected void doEmaUpdate(VqLayout g, Tensor z, Tensor indices, Tensor codebook, EmaState state,
                                         float decay, float epsilon) {
        CudaCodebook.emaUpdate(this, g, z, indices, codebook, state, decay, epsilon);
    }

    @Override protected int doReviveDeadCodes(VqLayout g, Tensor codebook, Tensor usage, float threshold, Tensor z,
                                              long seed, EmaState ema) {
        return CudaCodebook.reviveDeadCodes(this, g, codebook, usage, threshold, z, seed, ema);
    }

    // ---- Gaussian -------------------------------------------------------------------------

    @Override protected Tensor doStandardNormal(long seed, long offset, int[] shape) {
        return CudaGaussian.standardNormal(this, seed, offset, shape);
    }

    @Override protected Reparameterized doReparameterize(Tensor mu, Tensor logvar, long seed, long offset, boolean storeEps) {
        return CudaGaussian.reparameterize(this, mu, logvar, seed, offset, storeEps);
    }

    @Override protected GaussianGrads doReparameterizeBackward(Tensor gradZ, Tensor logvar, long seed, long offset) {
        return CudaGaussian.reparameterizeBackward(this, gradZ, logvar, seed, offset);
    }

    @Override protected GaussianGrads doReparameterizeBackward(Tensor gradZ, Tensor logvar, Tensor eps) {
        return CudaGaussian.reparameterizeBackward(this, gradZ, logvar, eps);
    }

    @Override protected Tensor doKlDivergence(Tensor mu, Tensor logvar, KlReduction reduction) {
        return CudaGaussian.klDivergence(this, mu, logvar, reduction);
    }

    @Override protected GaussianGrads doKlBackward(Tensor mu, Tensor logvar, float weight) {
        return CudaGaussian.klBackward(this, mu, logvar, weight);
    }

    @Override protected GaussianLatentStep doGaussianLatentForward(Tensor mu, Tensor logvar, long seed, long offset,
                                                                   KlReduction reduction) {
        return CudaGaussian.gaussianLatentForward(this, mu, logvar, seed, offset, reduction);
    }

    @Override protected GaussianGrads doGaussianLatentBackward(Tensor gradZ, Tensor mu, Tensor logvar, long seed, long offset,
                                                               float klWeight) {
        return CudaGaussian.gaussianLatentBackward(this, gradZ, mu, logvar, seed, offset, klWeight);
    }
}
