package io.vq4j.ops;

/**
 * The pure-Java backend: multithreaded CPU twins of every kernel, on host tensors. It is the
 * fallback where no GPU is usable and the reference the CUDA kernels are tested against.
 * The op families live in {@link CpuNearest}, {@link CpuCodebook} and {@link CpuGaussian}; this class only routes.
 */
public final class CpuOps extends CheckedOps {

    @Override public String name() { return "cpu"; }

    @Override protected boolean holds(Tensor t) { return !t.isOnDevice(); }

    @Override
    public Tensor upload(Tensor t) {
        tensorNotNull(t);
        return t.toHost();
    }

    @Override public Tensor zeros(DType dtype, int... shape) { return Tensor.zeros(dtype, shape); }

    @Override public void synchronize() {}

    @Override public void close() {}

    private static void tensorNotNull(Tensor t) {
        if (t == null) throw new IllegalArgumentException("tensor must not be null");
    }

    // ---- VQ -------------------------------------------------------------------------------

    @Override protected NearestCode doNearestCode(VqLayout g, Tensor z, Tensor codebook, boolean withDistances) {
        return CpuNearest.nearestCode(g, z, codebook, withDistances);
    }

    @Override protected NearestQuantized doNearestQuantize(VqLayout g, Tensor z, Tensor codebook) {
        return CpuNearest.nearestQuantize(g, z, codebook);
    }

    @Override protected Quantized doQuantize(VqLayout g, Tensor z, Tensor codebook, Tensor indices) {
        return CpuNearest.quantize(g, z, codebook, indices);
    }

    @Override protected VqGrads doVqBackward(VqLayout g, Tensor gradOut, Tensor z, Tensor codebook, Tensor indices,
                                             float beta, boolean deterministic) {
        return CpuCodebook.backward(g, gradOut, z, codebook, indices, beta);
    }

    @Override protected Tensor doCodeCounts(Tensor indices, int k) { return CpuCodebook.codeCounts(indices, k); }

    @Override protected CodebookStats doCodebookStats(Tensor counts, double deadThreshold) {
        return CpuCodebook.codebookStats(counts, deadThreshold);
    }

    @Override protected void doEmaUpdate(VqLayout g, Tensor z, Tensor indices, Tensor codebook, EmaState state,
                                         float decay, float epsilon) {
        CpuCodebook.emaUpdate(g, z, indices, codebook, state, decay, epsilon);
    }

    @Override protected int doReviveDeadCodes(VqLayout g, Tensor codebook, Tensor usage, float threshold, Tensor z,
                                              long seed, EmaState ema) {
        return CpuCodebook.reviveDeadCodes(g, codebook, usage, threshold, z, seed, ema);
    }

    // ---- Gaussian -------------------------------------------------------------------------

    @Override protected Tensor doStandardNormal(long seed, long offset, int[] shape) {
        return CpuGaussian.standardNormal(seed, offset, shape);
    }

    @Override protected Reparameterized doReparameterize(Tensor mu, Tensor logvar, long seed, long offset, boolean storeEps) {
        return CpuGaussian.reparameterize(mu, logvar, seed, offset, storeEps);
    }

    @Override protected GaussianGrads doReparameterizeBackward(Tensor gradZ, Tensor logvar, long seed, long offset) {
        return CpuGaussian.reparameterizeBackward(gradZ, logvar, seed, offset);
    }

    @Override protected GaussianGrads doReparameterizeBackward(Tensor gradZ, Tensor logvar, Tensor eps) {
        return CpuGaussian.reparameterizeBackward(gradZ, logvar, eps);
    }

    @Override protected Tensor doKlDivergence(Tensor mu, Tensor logvar, KlReduction reduction) {
        return CpuGaussian.klDivergence(mu, logvar, reduction);
    }

    @Override protected GaussianGrads doKlBackward(Tensor mu, Tensor logvar, float weight) {
        return CpuGaussian.klBackward(mu, logvar, weight);
    }

    @Override protected GaussianLatentStep doGaussianLatentForward(Tensor mu, Tensor logvar, long seed, long offset,
                                                                   KlReduction reduction) {
        return CpuGaussian.gaussianLatentForward(mu, logvar, seed, offset, reduction);
    }

    @Override protected GaussianGrads doGaussianLatentBackward(Tensor gradZ, Tensor mu, Tensor logvar, long seed, long offset,
                                                               float klWeight) {
        return CpuGaussian.gaussianLatentBackward(gradZ, mu, logvar, seed, offset, klWeight);
    }
}
