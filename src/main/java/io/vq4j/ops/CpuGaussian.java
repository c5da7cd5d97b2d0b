package io.vq4j.ops;

import io.vq4j.ops.cpu.Kernels;
import io.vq4j.ops.cpu.KlTerms;
import io.vq4j.ops.cpu.Parallel;
import io.vq4j.ops.cpu.Philox;
import io.vq4j.ops.cpu.ReparamBlocks;

/**
 * The Gaussian-latent ops in pure Java: the CPU twins of cuda/gaussian_reparam.cu and
 * cuda/gaussian_kl.cu, with the same formulas, evaluated in double and rounded once to float.
 * The exceptions are the two forwards, fp32 as on the GPU and with vectorised polynomials for the
 * exponential: the KL terms ({@link KlTerms}, about 4e-7 relative, summed in double) and the
 * sample ({@link ReparamBlocks}, about 2 ulp).
 * Arguments are already checked ({@link CheckedOps}). Multithreaded over contiguous ranges;
 * the KL sums are per-chunk double partials combined in chunk order, so they are deterministic.
 */
final class CpuGaussian {
    private CpuGaussian() {}

    /** Elements per parallel task: Philox plus a log and a sin/cos per pair is ~50 ns an element. */
    private static final int GRAIN = 1 << 14;

    static Tensor standardNormal(long seed, long offset, int[] shape) {
        Tensor out = Tensor.zeros(DType.F32, shape);
        float[] o = out.hostFloats();
        // Element i depends only on i, so any split of [0, n) gives the same bits.
        Parallel.forRange(o.length, GRAIN, (from, to) -> Philox.normals(seed, offset, from, o, from, to - from));
        return out;
    }

    static Reparameterized reparameterize(Tensor mu, Tensor logvar, long seed, long offset, boolean storeEps) {
        float[] m = mu.hostFloats(), lv = logvar.hostFloats();
        float[] z = new float[m.length];
        float[] eps = storeEps ? new float[m.length] : null;
        // Without storeEps the noise is drawn into z's own range, then replaced by the sample.
        float[] noise = storeEps ? eps : z;
        Parallel.forRange(m.length, GRAIN, (from, to) -> {
            drawAndSample(seed, offset, m, lv, noise, z, from, to);
        });
        int[] shape = mu.shape();
        return new Reparameterized(Tensor.of(z, shape), eps == null ? null : Tensor.of(eps, shape));
    }

    /** Noise drawn while the sample is computed: sub-ranges this long stay in L2 between the two. */
    private static final int DRAW_RUN = 4096;

    /**
     * eps[i] = normal i of (seed, offset) and z[i] = mu + exp(logvar / 2) eps over [from, to), a
     * run at a time so the noise is still in cache when the sample reads it ({@code eps} may be
     * {@code z}). Element i depends only on i: the same bits as drawing the whole range first.
     */
    private static void drawAndSample(long seed, long offset, float[] m, float[] lv, float[] eps, float[] z,
                                      int from, int to) {
        for (int a = from; a < to; a += DRAW_RUN) {
            int b = Math.min(to, a + DRAW_RUN);
            Philox.normals(seed, offset, a, eps, a, b - a);
            Kernels.get().sample(m, lv, eps, z, a, b);
        }
    }

    static GaussianGrads reparameterizeBackward(Tensor gradZ, Tensor logvar, long seed, long offset) {
        float[] g = gradZ.hostFloats(), lv = logvar.hostFloats();
        float[] dLogvar = new float[g.length];
        // The noise is regenerated into dLogvar's own range, then replaced by the gradient.
        Parallel.forRange(g.length, GRAIN, (from, to) -> {
            Philox.normals(seed, offset, from, dLogvar, from, to - from);
            dLogvarRange(g, lv, dLogvar, dLogvar, from, to);
        });
        return grads(gradZ, dLogvar);
    }

    static GaussianGrads reparameterizeBackward(Tensor gradZ, Tensor logvar, Tensor eps) {
        float[] g = gradZ.hostFloats(), lv = logvar.hostFloats(), e = eps.hostFloats();
        float[] dLogvar = new float[g.length];
        Parallel.forRange(g.length, GRAIN, (from, to) -> dLogvarRange(g, lv, e, dLogvar, from, to));
        return grads(gradZ, dLogvar);
    }

    /** dLogvar = gradZ * eps * exp(logvar/2) / 2 over [from, to); {@code e} may be {@code out} itself. */
    private static void dLogvarRange(float[] g, float[] lv, float[] e, float[] out, int from, int to) {
        for (int i = from; i < to; i++) out[i] = (float) ((double) g[i] * e[i] * 0.5 * Math.exp(0.5 * lv[i]));
    }

    /** dMu = gradZ is a copy (outputs belong to the caller and must not alias an input). */
    private static GaussianGrads grads(Tensor gradZ, float[] dLogvar) {
        int[] shape = gradZ.shape();
        return new GaussianGrads(Tensor.of(gradZ.hostFloats().clone(), shape), Tensor.of(dLogvar, shape));
    }

    static Tensor klDivergence(Tensor mu, Tensor logvar, KlReduction reduction) {
        int b = mu.dim(0);
        boolean perSample = reduction == KlReduction.PER_SAMPLE;
        int segments = perSample ? b : 1;
        double scale = klScale(reduction, b);
        double[] sums = segmentSums(mu.hostFloats(), logvar.hostFloats(), segments);
        float[] out = new float[segments];
        for (int s = 0; s < segments; s++) out[s] = (float) (sums[s] * scale);
        return Tensor.of(out, perSample ? new int[] {b} : new int[] {1});
    }

    /**
     * The factor applied to {@code sum(mu^2 + expm1(logvar) - logvar)}: 1/2, times 1/B for MEAN.
     * Positive, so a KL of exactly zero is +0. The CUDA backend uses the same double, so both
     * round the same product.
     */
    static double klScale(KlReduction reduction, int batch) {
        return reduction == KlReduction.MEAN ? 0.5 / batch : 0.5;
    }

    /**
     * For each of {@code segments} equal contiguous segments, {@code sum(mu^2 + expm1(logvar) - logvar)}
     * (= -(1 + logvar - mu^2 - exp(logvar)), without the cancellation near logvar = 0) in double. Each
     * parallel chunk keeps a partial per segment it touches; the partials are added in chunk order.
     */
    static double[] segmentSums(float[] m, float[] lv, int segments) {
        double[] sums = new double[segments];
        int n = m.length;
        if (n == 0 || segments == 0) return sums;
        int segLen = n / segments;
        int chunks = Parallel.chunkCount(n, GRAIN);
        double[][] partial = new double[chunks][];
        int[] firstSegment = new int[chunks];
        Parallel.forChunks(n, GRAIN, (c, from, to) -> {
            partial[c] = chunkSums(m, lv, segLen, from, to);
            firstSegment[c] = from / segLen;
        });
        return combine(sums, partial, firstSegment);
    }

    /** One chunk's partial per segment it touches (segments from / segLen .. (to - 1) / segLen), each in order. */
    private static double[] chunkSums(float[] m, float[] lv, int segLen, int from, int to) {
        int s0 = from / segLen, s1 = (to - 1) / segLen;
        double[] p = new double[s1 - s0 + 1];
        for (int s = s0; s <= s1; s++) {
            int a = Math.max(from, s * segLen), e = Math.min(to, (s + 1) * segLen);
            p[s - s0] = Kernels.get().klSum(m, lv, a, e);
        }
        return p;
    }

    /** Adds the chunks' partials into {@code sums} in chunk order (deterministic); returns {@code sums}. */
    private static double[] combine(double[] sums, double[][] partial, int[] firstSegment) {
        for (int c = 0; c < partial.length; c++) {
            double[] p = partial[c];
            for (int j = 0; j < p.length; j++) sums[firstSegment[c] + j] += p[j];
        }
        return sums;
    }

    /**
     * z as {@link #reparameterize} and the KL as {@link #klDivergence}, in one pass: each chunk draws
     * its noise into z's range, turns it into the sample, and sums its KL terms while mu and logvar
     * are in cache. The chunks are those of {@link #segmentSums}, so the KL has the same bits.
     */
    static GaussianLatentStep gaussianLatentForward(Tensor mu, Tensor logvar, long seed, long offset, KlReduction reduction) {
        float[] m = mu.hostFloats(), lv = logvar.hostFloats();
        int n = m.length, b = mu.dim(0);
        boolean perSample = reduction == KlReduction.PER_SAMPLE;
        int segments = perSample ? b : 1;
        float[] z = new float[n];
        double[] sums = new double[segments];
        if (n > 0 && segments > 0) {
            int segLen = n / segments;
            int chunks = Parallel.chunkCount(n, GRAIN);
            double[][] partial = new double[chunks][];
            int[] firstSegment = new int[chunks];
            Parallel.forChunks(n, GRAIN, (c, from, to) -> {
                drawAndSample(seed, offset, m, lv, z, z, from, to);
                partial[c] = chunkSums(m, lv, segLen, from, to);
                firstSegment[c] = from / segLen;
            });
            combine(sums, partial, firstSegment);
        }
        double scale = klScale(reduction, b);
        float[] kl = new float[segments];
        for (int s = 0; s < segments; s++) kl[s] = (float) (sums[s] * scale);
        return new GaussianLatentStep(Tensor.of(z, mu.shape()), Tensor.of(kl, perSample ? new int[] {b} : new int[] {1}));
    }

    /**
     * reparameterizeBackward(gradZ, logvar, seed, offset) + klBackward(mu, logvar, klWeight) in one
     * pass: each path rounded to float as there, then one float addition, so the result has the
     * bits of the composition.
     */
    static GaussianGrads gaussianLatentBackward(Tensor gradZ, Tensor mu, Tensor logvar, long seed, long offset,
                                                float klWeight) {
        float[] g = gradZ.hostFloats(), m = mu.hostFloats(), lv = logvar.hostFloats();
        float[] dMu = new float[g.length], dLogvar = new float[g.length];
        double half = 0.5 * klWeight;
        Parallel.forRange(g.length, GRAIN, (from, to) -> {
            Philox.normals(seed, offset, from, dLogvar, from, to - from); // eps, replaced by the gradient below
            for (int i = from; i < to; i++) dMu[i] = g[i] + klWeight * m[i];
            for (int i = from; i < to; i++) {
                float rep = (float) ((double) g[i] * dLogvar[i] * 0.5 * Math.exp(0.5 * lv[i]));
                dLogvar[i] = rep + (float) (half * Math.expm1(lv[i]));
            }
        });
        int[] shape = mu.shape();
        return new GaussianGrads(Tensor.of(dMu, shape), Tensor.of(dLogvar, shape));
    }

    static GaussianGrads klBackward(Tensor mu, Tensor logvar, float weight) {
        float[] m = mu.hostFloats(), lv = logvar.hostFloats();
        float[] dMu = new float[m.length], dLogvar = new float[m.length];
        double half = 0.5 * weight;
        Parallel.forRange(m.length, GRAIN, (from, to) -> {
            for (int i = from; i < to; i++) dMu[i] = weight * m[i]; // the same float product as the kernel
            for (int i = from; i < to; i++) dLogvar[i] = (float) (half * Math.expm1(lv[i]));
        });
        int[] shape = mu.shape();
        return new GaussianGrads(Tensor.of(dMu, shape), Tensor.of(dLogvar, shape));
    }
}
