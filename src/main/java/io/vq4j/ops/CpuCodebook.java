package io.vq4j.ops;

import io.vq4j.ops.cpu.CodeSort;
import io.vq4j.ops.cpu.Parallel;
import io.vq4j.ops.cpu.Philox;
import io.vq4j.ops.cpu.SegmentSums;

/**
 * CPU twins of the codebook ops: VQ backward, code counts, codebook statistics, EMA update and
 * dead-code revival. Always deterministic: segment sums go through a stable counting sort
 * ({@link CodeSort}) and are summed per code in order, in double ({@link SegmentSums}).
 * Arithmetic is in double with one rounding to float per output, so these are the reference the
 * CUDA kernels are held to.
 */
final class CpuCodebook {
    private CpuCodebook() {}

    /** Elementwise work below this many elements runs on one thread. */
    private static final int GRAIN = 1 << 14;

    static VqGrads backward(VqLayout g, Tensor gradOut, Tensor z, Tensor codebook, Tensor indices, float beta) {
        int[] idx = indices.hostInts();
        checkIndices(indices, idx, g.k());
        float[] zf = z.hostFloats(), go = gradOut.hostFloats(), e = codebook.hostFloats();
        int d = g.d(), s = g.spatial();
        // d/dz of beta * mean((z - sg[e])^2) and d/de of mean((sg[z] - e)^2) share 2/(N*D)
        double scale = 2.0 / ((double) g.n() * d);

        float[] gz = new float[zf.length];
        gradZ(g, zf, go, e, idx, beta * scale, gz);

        CodeSort sort = CodeSort.sort(idx, g.k());
        double[] sums = SegmentSums.sum(zf, s, d, sort);
        int[] counts = sort.counts();
        float[] gc = new float[e.length];
        Parallel.forRange(g.k(), Math.max(1, GRAIN / d), (from, to) -> {
            for (int k = from; k < to; k++) {
                double cnt = counts[k];
                int base = k * d;
                for (int c = 0; c < d; c++) gc[base + c] = (float) (scale * (cnt * e[base + c] - sums[base + c]));
            }
        });
        return new VqGrads(Tensor.of(gz, z.shape()), Tensor.of(gc, codebook.shape()),
                Tensor.ofInts(counts.clone(), g.k()));
    }

    /** gradZ = gradOut + coef * (z - e[idx]), in z's layout. */
    private static void gradZ(VqLayout g, float[] z, float[] go, float[] e, int[] idx, double coef, float[] gz) {
        int d = g.d(), s = g.spatial();
        if (s == 1) {
            // rows: vector n is d contiguous floats, its code row too
            Parallel.forRange((int) g.n(), Math.max(1, GRAIN / d), (from, to) -> {
                for (int n = from; n < to; n++) {
                    int zb = n * d, eb = idx[n] * d;
                    for (int c = 0; c < d; c++) gz[zb + c] = (float) (go[zb + c] + coef * ((double) z[zb + c] - e[eb + c]));
                }
            });
        } else {
            // channel-first: plane (b, c) is s contiguous floats; the code rows are gathered
            Parallel.forRange(g.batch() * d, Math.max(1, GRAIN / s), (from, to) -> {
                for (int r = from; r < to; r++) {
                    int b = r / d, c = r - b * d;
                    int zb = r * s, ib = b * s;
                    for (int j = 0; j < s; j++) {
                        gz[zb + j] = (float) (go[zb + j] + coef * ((double) z[zb + j] - e[idx[ib + j] * d + c]));
                    }
                }
            });
        }
    }

    static Tensor codeCounts(Tensor indices, int k) {
        int[] idx = indices.hostInts();
        checkIndices(indices, idx, k);
        return Tensor.ofInts(CodeSort.counts(idx, k), k);
    }

    static CodebookStats codebookStats(Tensor counts, double deadThreshold) {
        double[] c = asDoubles(counts);
        // fixed order, in double: total first, then the entropy with p = c / total
        double total = 0;
        int active = 0, dead = 0;
        for (double v : c) {
            total += v;
            if (v > 0) active++;
            if (v < deadThreshold) dead++;
        }
        double perplexity = 0;
        if (total > 0) {
            double h = 0;
            for (double v : c) {
                if (v > 0) {
                    double p = v / total;
                    h -= p * Math.log(p);
                }
            }
            perplexity = Math.exp(h);
        }
        return new CodebookStats(perplexity, active, dead, total);
    }

    static void emaUpdate(VqLayout g, Tensor z, Tensor indices, Tensor codebook, EmaState state, float decay,
                          float epsilon) {
        int[] idx = indices.hostInts();
        checkIndices(indices, idx, g.k());
        int k = g.k(), d = g.d();
        CodeSort sort = CodeSort.sort(idx, k);
        double[] sums = SegmentSums.sum(z.hostFloats(), g.spatial(), d, sort);
        int[] counts = sort.counts();
        float[] size = state.clusterSize().hostFloats(), embed = state.embedSum().hostFloats(), e = codebook.hostFloats();

        double dec = decay, keep = 1.0 - dec, eps = epsilon;
        for (int j = 0; j < k; j++) size[j] = (float) (dec * size[j] + keep * counts[j]);
        Parallel.forRange(k * d, GRAIN, (from, to) -> {
            for (int i = from; i < to; i++) embed[i] = (float) (dec * embed[i] + keep * sums[i]);
        });
        double n = 0;
        for (int j = 0; j < k; j++) n += size[j];
        double total = n, denom = n + k * eps;
        Parallel.forRange(k, Math.max(1, GRAIN / d), (from, to) -> {
            for (int j = from; j < to; j++) {
                // Laplace-smoothed cluster size; the same expression, in the same order, as the kernel
                double smoothed = (size[j] + eps) / denom * total;
                int base = j * d;
                for (int c = 0; c < d; c++) e[base + c] = (float) (embed[base + c] / smoothed);
            }
        });
    }

    static int reviveDeadCodes(VqLayout g, Tensor codebook, Tensor usage, float threshold, Tensor z, long seed,
                               EmaState ema) {
        double[] u = asDoubles(usage);
        float[] e = codebook.hostFloats(), zf = z.hostFloats();
        float[] size = ema == null ? null : ema.clusterSize().hostFloats();
        float[] embed = ema == null ? null : ema.embedSum().hostFloats();
        int d = g.d();
        int revived = 0;
        for (int k = 0; k < g.k(); k++) {
            // read before any write: usage may be ema.clusterSize itself
            if (!(u[k] < threshold)) continue;
            int row = Philox.reviveRow(seed, k, g.n());
            for (int c = 0; c < d; c++) {
                float v = zf[(int) g.offset(row, c)];
                e[k * d + c] = v;
                if (embed != null) embed[k * d + c] = v;
            }
            if (size != null) size[k] = 1f;
            revived++;
        }
        return revived;
    }

    // ---- shared with CudaCodebook ---------------------------------------------------------

    /** The error for index value {@code value} at flat position {@code pos} of {@code indices}. */
    static IllegalArgumentException badIndex(Tensor indices, long pos, int value, int k) {
        return new IllegalArgumentException("indices[" + pos + "] = " + value + " is outside [0, " + k + ") (indices "
                + indices.describe() + ", flat position; the codebook has K = " + k + " codes)");
    }

    private static void checkIndices(Tensor indices, int[] idx, int k) {
        long bad = CodeSort.firstOutOfRange(idx, k);
        if (bad >= 0) throw badIndex(indices, bad, idx[(int) bad], k);
    }

    /** I32 or F32 {@code [K]} as doubles (exact for both). */
    private static double[] asDoubles(Tensor t) {
        double[] out = new double[(int) t.numel()];
        if (t.dtype() == DType.I32) {
            int[] a = t.hostInts();
            for (int i = 0; i < a.length; i++) out[i] = a[i];
        } else {
            float[] a = t.hostFloats();
            for (int i = 0; i < a.length; i++) out[i] = a[i];
        }
        return out;
    }
}
