package io.vq4j.ops;

import java.util.Arrays;

/**
 * The argument checks of every op, written once for all backends: each public method validates
 * (null, dtype, rank, shapes, sizes, backend residency) with a message naming the argument and
 * the shapes, then calls the backend's {@code do...} method, which may assume valid arguments.
 * Checks that need the data itself (index range, finiteness) are the backends' job.
 */
public abstract class CheckedOps implements Ops {
    /** {@code -Dvq4j.checks=false} skips data checks that cost a device read-back. */
    protected static final boolean DATA_CHECKS = !"false".equals(System.getProperty("vq4j.checks"));

    /** Whether {@code t} lives in this backend's memory. */
    protected abstract boolean holds(Tensor t);

    protected abstract NearestCode doNearestCode(VqLayout g, Tensor z, Tensor codebook, boolean withDistances);
    protected abstract NearestQuantized doNearestQuantize(VqLayout g, Tensor z, Tensor codebook);
    protected abstract Quantized doQuantize(VqLayout g, Tensor z, Tensor codebook, Tensor indices);
    protected abstract VqGrads doVqBackward(VqLayout g, Tensor gradOut, Tensor z, Tensor codebook, Tensor indices,
                                            float beta, boolean deterministic);
    protected abstract Tensor doCodeCounts(Tensor indices, int k);
    protected abstract CodebookStats doCodebookStats(Tensor counts, double deadThreshold);
    protected abstract void doEmaUpdate(VqLayout g, Tensor z, Tensor indices, Tensor codebook, EmaState state,
                                        float decay, float epsilon);
    protected abstract int doReviveDeadCodes(VqLayout g, Tensor codebook, Tensor usage, float threshold, Tensor z,
                                             long seed, EmaState ema);
    protected abstract Tensor doStandardNormal(long seed, long offset, int[] shape);
    protected abstract Reparameterized doReparameterize(Tensor mu, Tensor logvar, long seed, long offset, boolean storeEps);
    protected abstract GaussianGrads doReparameterizeBackward(Tensor gradZ, Tensor logvar, long seed, long offset);
    protected abstract GaussianGrads doReparameterizeBackward(Tensor gradZ, Tensor logvar, Tensor eps);
    protected abstract Tensor doKlDivergence(Tensor mu, Tensor logvar, KlReduction reduction);
    protected abstract GaussianGrads doKlBackward(Tensor mu, Tensor logvar, float weight);
    protected abstract GaussianLatentStep doGaussianLatentForward(Tensor mu, Tensor logvar, long seed, long offset,
                                                                  KlReduction reduction);
    protected abstract GaussianGrads doGaussianLatentBackward(Tensor gradZ, Tensor mu, Tensor logvar, long seed, long offset,
                                                              float klWeight);

    // ---- VQ -------------------------------------------------------------------------------

    @Override
    public final NearestCode nearestCode(Tensor z, Tensor codebook, boolean withDistances) {
        return doNearestCode(vq(z, codebook), z, codebook, withDistances);
    }

    @Override
    public final NearestQuantized nearestQuantize(Tensor z, Tensor codebook) {
        return doNearestQuantize(vq(z, codebook), z, codebook);
    }

    @Override
    public final Quantized quantize(Tensor z, Tensor codebook, Tensor indices) {
        VqLayout g = vq(z, codebook);
        indices(indices, "indices", g, z);
        return doQuantize(g, z, codebook, indices);
    }

    @Override
    public final VqGrads vqBackward(Tensor gradOut, Tensor z, Tensor codebook, Tensor indices, float beta,
                                   boolean deterministic) {
        VqLayout g = vq(z, codebook);
        tensor(gradOut, "gradOut", DType.F32);
        sameShape(gradOut, "gradOut", z, "z");
        indices(indices, "indices", g, z);
        finite(beta, "beta");
        return doVqBackward(g, gradOut, z, codebook, indices, beta, deterministic);
    }

    @Override
    public final Tensor codeCounts(Tensor indices, int k) {
        tensor(indices, "indices", DType.I32);
        if (k < 1) throw new IllegalArgumentException("k must be >= 1, got " + k);
        return doCodeCounts(indices, k);
    }

    @Override
    public final CodebookStats codebookStats(Tensor counts, double deadThreshold) {
        tensor(counts, "counts", null);
        rank(counts, "counts", 1);
        if (counts.numel() == 0) throw new IllegalArgumentException("counts " + counts.shapeString() + " is empty (K = 0)");
        if (!(deadThreshold >= 0)) throw new IllegalArgumentException("deadThreshold must be >= 0, got " + deadThreshold);
        return doCodebookStats(counts, deadThreshold);
    }

    @Override
    public final void emaUpdate(Tensor z, Tensor indices, Tensor codebook, EmaState state, float decay, float epsilon) {
        VqLayout g = vq(z, codebook);
        indices(indices, "indices", g, z);
        ema(state, "state", codebook);
        if (!(decay >= 0 && decay <= 1)) throw new IllegalArgumentException("decay must be in [0, 1], got " + decay);
        if (!(epsilon >= 0) || Float.isInfinite(epsilon)) {
            throw new IllegalArgumentException("epsilon must be finite and >= 0, got " + epsilon);
        }
        doEmaUpdate(g, z, indices, codebook, state, decay, epsilon);
    }

    @Override
    public final int reviveDeadCodes(Tensor codebook, Tensor usage, float threshold, Tensor z, long seed, EmaState ema) {
        VqLayout g = vq(z, codebook);
        tensor(usage, "usage", null);
        if (usage.rank() != 1 || usage.dim(0) != g.k()) {
            throw new IllegalArgumentException("usage " + usage.shapeString() + " must be [K] = [" + g.k()
                    + "] for codebook " + codebook.shapeString());
        }
        finite(threshold, "threshold");
        if (ema != null) ema(ema, "ema", codebook);
        return doReviveDeadCodes(g, codebook, usage, threshold, z, seed, ema);
    }

    // ---- Gaussian -------------------------------------------------------------------------

    @Override
    public final Tensor standardNormal(long seed, long offset, int... shape) {
        if (shape == null) throw new IllegalArgumentException("shape must not be null");
        for (int s : shape) {
            if (s < 0) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a negative dimension");
        }
        offset(offset);
        return doStandardNormal(seed, offset, shape.clone());
    }

    @Override
    public final Reparameterized reparameterize(Tensor mu, Tensor logvar, long seed, long offset, boolean storeEps) {
        gaussianPair(mu, "mu", logvar, "logvar");
        offset(offset);
        return doReparameterize(mu, logvar, seed, offset, storeEps);
    }

    @Override
    public final GaussianGrads reparameterizeBackward(Tensor gradZ, Tensor logvar, long seed, long offset) {
        gaussianPair(gradZ, "gradZ", logvar, "logvar");
        offset(offset);
        return doReparameterizeBackward(gradZ, logvar, seed, offset);
    }

    @Override
    public final GaussianGrads reparameterizeBackward(Tensor gradZ, Tensor logvar, Tensor eps) {
        gaussianPair(gradZ, "gradZ", logvar, "logvar");
        tensor(eps, "eps", DType.F32);
        sameShape(eps, "eps", logvar, "logvar");
        return doReparameterizeBackward(gradZ, logvar, eps);
    }

    @Override
    public final Tensor klDivergence(Tensor mu, Tensor logvar, KlReduction reduction) {
        gaussianPair(mu, "mu", logvar, "logvar");
        if (reduction == null) throw new IllegalArgumentException("reduction must not be null");
        if (mu.rank() < 1) throw new IllegalArgumentException("mu " + mu.shapeString() + " needs a batch dimension");
        return doKlDivergence(mu, logvar, reduction);
    }

    @Override
    public final GaussianGrads klBackward(Tensor mu, Tensor logvar, float weight) {
        gaussianPair(mu, "mu", logvar, "logvar");
        finite(weight, "weight");
        return doKlBackward(mu, logvar, weight);
    }

    @Override
    public final GaussianLatentStep gaussianLatentForward(Tensor mu, Tensor logvar, long seed, long offset,
                                                          KlReduction reduction) {
        gaussianPair(mu, "mu", logvar, "logvar");
        offset(offset);
        if (reduction == null) throw new IllegalArgumentException("reduction must not be null");
        if (mu.rank() < 1) throw new IllegalArgumentException("mu " + mu.shapeString() + " needs a batch dimension");
        return doGaussianLatentForward(mu, logvar, seed, offset, reduction);
    }

    @Override
    public final GaussianGrads gaussianLatentBackward(Tensor gradZ, Tensor mu, Tensor logvar, long seed, long offset,
                                                      float klWeight) {
        gaussianPair(gradZ, "gradZ", mu, "mu");
        gaussianPair(mu, "mu", logvar, "logvar");
        offset(offset);
        finite(klWeight, "klWeight");
        return doGaussianLatentBackward(gradZ, mu, logvar, seed, offset, klWeight);
    }

    // ---- the checks -----------------------------------------------------------------------

    /** Non-null, open, of this backend, of {@code dtype} (any when null). */
    protected final void tensor(Tensor t, String name, DType dtype) {
        if (t == null) throw new IllegalArgumentException(name + " must not be null");
        if (t.isClosed()) throw new IllegalArgumentException(name + " " + t.describe() + " is closed");
        if (dtype != null && t.dtype() != dtype) {
            throw new IllegalArgumentException(name + " must be " + dtype + ", got " + t.describe());
        }
        if (!holds(t)) {
            throw new IllegalArgumentException(name + " " + t.describe() + " is not in the " + name()
                    + " backend's memory; copy it with ops.upload(" + name + ")");
        }
    }

    private static void rank(Tensor t, String name, int rank) {
        if (t.rank() != rank) {
            throw new IllegalArgumentException(name + " must have rank " + rank + ", got " + t.shapeString());
        }
    }

    private VqLayout vq(Tensor z, Tensor codebook) {
        tensor(z, "z", DType.F32);
        tensor(codebook, "codebook", DType.F32);
        if (codebook.rank() != 2) {
            throw new IllegalArgumentException("codebook must be [K, D], got " + codebook.shapeString());
        }
        if (codebook.dim(0) == 0) throw new IllegalArgumentException("codebook " + codebook.shapeString() + " has K = 0 codes");
        if (codebook.dim(1) == 0) throw new IllegalArgumentException("codebook " + codebook.shapeString() + " has D = 0");
        if (z.rank() != 2 && z.rank() != 4) {
            throw new IllegalArgumentException("z must be [N, D] or [B, D, H, W], got " + z.shapeString());
        }
        VqLayout g = VqLayout.of(z, codebook);
        if (g.n() == 0) throw new IllegalArgumentException("z " + z.shapeString() + " has N = 0 vectors");
        if (g.n() > Integer.MAX_VALUE) throw new IllegalArgumentException("z " + z.shapeString() + " has more than 2^31-1 vectors");
        return g;
    }

    private void indices(Tensor idx, String name, VqLayout g, Tensor z) {
        tensor(idx, name, DType.I32);
        if (!Arrays.equals(idx.shape(), g.indexShape())) {
            throw new IllegalArgumentException(name + " " + idx.shapeString() + " must be "
                    + Arrays.toString(g.indexShape()) + " for z " + z.shapeString());
        }
    }

    private void ema(EmaState s, String name, Tensor codebook) {
        if (s == null) throw new IllegalArgumentException(name + " must not be null");
        tensor(s.clusterSize(), name + ".clusterSize", DType.F32);
        tensor(s.embedSum(), name + ".embedSum", DType.F32);
        if (s.clusterSize().rank() != 1 || s.clusterSize().dim(0) != codebook.dim(0)) {
            throw new IllegalArgumentException(name + ".clusterSize " + s.clusterSize().shapeString() + " must be [K] = ["
                    + codebook.dim(0) + "] for codebook " + codebook.shapeString());
        }
        sameShape(s.embedSum(), name + ".embedSum", codebook, "codebook");
    }

    private void gaussianPair(Tensor a, String an, Tensor b, String bn) {
        tensor(a, an, DType.F32);
        tensor(b, bn, DType.F32);
        sameShape(a, an, b, bn);
    }

    private static void sameShape(Tensor a, String an, Tensor b, String bn) {
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException(an + " " + a.shapeString() + " must have the shape of " + bn + " " + b.shapeString());
        }
    }

    private static void finite(float v, String name) {
        if (!Float.isFinite(v)) throw new IllegalArgumentException(name + " must be finite, got " + v);
    }

    private static void offset(long offset) {
        if (offset < 0) throw new IllegalArgumentException("offset must be >= 0, got " + offset);
    }
}
