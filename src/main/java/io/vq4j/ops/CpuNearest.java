package io.vq4j.ops;

import io.vq4j.ops.cpu.CodeScores;
import io.vq4j.ops.cpu.CpuKernels;
import io.vq4j.ops.cpu.Kernels;
import io.vq4j.ops.cpu.Parallel;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * CPU twins of cuda/vq_nearest.cu and cuda/vq_quantize.cu: nearest codebook row per z vector,
 * and the quantize gather with the straight-through output and the losses.
 *
 * <h2>nearestCode: the answer of the direct form, exact in fp32 order</h2>
 * The answer is defined by the direct form {@code d_k = sum_c (z_c - e_kc)^2} in fp32 with
 * ascending c and no fused multiply-add: the code with the lowest such d_k (the lowest index on
 * ties), reported with that d_k. The CUDA finalize kernel computes the reported distance with the
 * same operations in the same order: for the same chosen code both backends report the same bits.
 *
 * <p>Rounding bound (direct form): with u = 2^-24, the subtraction, the square and the D-term
 * recursive sum give {@code |fl(d_k) - d_k| <= gamma_{D+2} * d_k}, gamma_m = m*u/(1 - m*u). So this
 * twin can pick g over the exact argmin r only when {@code d_g - d_r <= gamma_{D+2} (d_g + d_r)}.
 * The CUDA search uses the expanded form {@code ||e||^2 - 2 z.e}, whose bound (derived in
 * cuda/vq_nearest.cu) is {@code gamma * (||z||^2 + ||e_k||^2)}, gamma = 2 (D + 2) 2^-24: looser,
 * since it is relative to the norms, not to the distance.
 *
 * <h2>How it is found fast: approximate scores, a certificate, an exact re-rank</h2>
 * Evaluating the direct form for every code costs three flops per term and does not map onto
 * FMAs. So the search first scores every code with {@code s~_k = ||e_k||^2 - 2 z.e_k} in fp32
 * FMAs ({@link CodeScores}: blocked, vectorised, the N x K matrix is never made), whose error is
 * at most {@code beta = gamma_{D+1} (||z||^2 + 2 max_k ||e_k||^2)}. With m = min_k s~_k, every code
 * whose direct-form value could tie or beat the direct-form minimum has
 * {@code s~_k <= m + 2 beta + delta}, delta = 2 gamma_{D+2} / (1 - gamma_{D+2}) (||z||^2 + m + beta)
 * covering the direct form's own rounding (a code with a larger exact distance than
 * {@code d_min (1 + gamma) / (1 - gamma)} rounds strictly above the minimum). Those candidates,
 * usually one, are re-ranked with the direct form in index order with a strict '&lt;', which
 * gives exactly the answer (index and distance bits) of evaluating the direct form for all K.
 * Near-duplicate codes only make the candidate list longer. A vector whose norms are so large
 * that the fp32 scores could overflow ({@code ||z||^2 + 2 max ||e||^2 > 1e37}) skips the
 * certificate and evaluates the direct form for every code. The bounds are computed in double
 * with 1% and absolute slack (for subnormal partial results).
 *
 * <h2>Data checks</h2>
 * Non-finite values are found during the pass (the codebook while it is tiled, z while its rows
 * are gathered) and reported with the lowest offending row; indices of quantize are checked first.
 */
final class CpuNearest {
    private CpuNearest() {}

    /** Floats of one gathered block of z rows. */
    private static final int ROW_BLOCK_FLOATS = 16384;
    /** Floats of one block's scores (vectors x K): 256 KiB, an L2's share. */
    private static final int SCORE_BLOCK_FLOATS = 65536;
    /** Minimum (vector, code, dim) triples per parallel chunk. */
    private static final long CHUNK_WORK = 1L << 18;

    // ---- messages shared with CudaNearest ------------------------------------------------

    static IllegalArgumentException nonFiniteZ(long vector, Tensor z) {
        return new IllegalArgumentException("z contains NaN or Inf in vector " + vector + " (z " + z.shapeString() + ")");
    }

    static IllegalArgumentException nonFiniteCodebook(long row, Tensor codebook) {
        return new IllegalArgumentException("codebook contains NaN or Inf in row " + row
                + " (codebook " + codebook.shapeString() + ")");
    }

    static IllegalArgumentException badIndex(long position, int value, Tensor codebook) {
        return new IllegalArgumentException("indices[" + position + "] = " + value + " is outside [0, "
                + codebook.dim(0) + ") for codebook " + codebook.shapeString());
    }

    // ---- nearestCode --------------------------------------------------------------------------

    static NearestCode nearestCode(VqLayout g, Tensor z, Tensor codebook, boolean withDistances) {
        final int n = (int) g.n(), d = g.d(), k = g.k();
        final float[] ef = codebook.hostFloats();
        int badRow = firstNonFiniteRow(ef, k, d);
        if (badRow >= 0) throw nonFiniteCodebook(badRow, codebook);
        final CodeScores scores = new CodeScores(ef, k, d);
        final float[] zf = z.hostFloats();
        final int[] idx = new int[n];
        final float[] dist = withDistances ? new float[n] : null;
        final AtomicInteger firstBad = new AtomicInteger(Integer.MAX_VALUE);
        final int grain = (int) Math.max(1, Math.min(n, CHUNK_WORK / ((long) k * d)));
        Parallel.forRange(n, grain, (from, to) -> {
            int bad = searchRange(zf, g, ef, scores, from, to, idx, dist);
            if (bad >= 0) firstBad.accumulateAndGet(bad, Math::min);
        });
        if (firstBad.get() != Integer.MAX_VALUE) throw nonFiniteZ(firstBad.get(), z);
        int[] shape = g.indexShape();
        return new NearestCode(Tensor.ofInts(idx, shape), dist == null ? null : Tensor.of(dist, shape));
    }

    /** The lowest codebook row holding NaN or Inf, or -1. */
    private static int firstNonFiniteRow(float[] e, int k, int d) {
        for (int r = 0; r < k; r++) {
            boolean finite = true;
            for (int c = r * d, end = c + d; c < end; c++) finite &= Float.isFinite(e[c]);
            if (!finite) return r;
        }
        return -1;
    }

    private static final double U = 0x1.0p-24;
    /** Absolute slack for partial results that go subnormal (each op then errs by up to 2^-150). */
    private static double subnormalSlack(int d) { return 4.0 * (d + 2) * 0x1.0p-149; }
    private static double gamma(int m) { return m * U / (1 - m * U); }
    /** Above this, fp32 scores might overflow: the vector takes the plain direct-form scan. */
    private static final double SCORE_LIMIT = 1e37;

    /**
     * Nearest codes of vectors [from, to). Returns the lowest non-finite vector of the range
     * (and stops there), or -1.
     */
    private static int searchRange(float[] zf, VqLayout g, float[] ef, CodeScores cs, int from, int to,
                                   int[] idx, float[] dist) {
        final int d = g.d(), k = g.k(), tk = cs.tile();
        final int rb = Math.max(1, Math.min(64, Math.min(ROW_BLOCK_FLOATS / d, SCORE_BLOCK_FLOATS / k)));
        final float[] zb = new float[rb * d], x = new float[rb * d];
        final float[] s = new float[rb * k];
        final CpuKernels kernels = Kernels.get();
        final int[] cand = new int[k];
        final double gScore = gamma(d + 1) * 1.01, gDirect = 2 * gamma(d + 2) / (1 - gamma(d + 2)) * 1.01;
        final double slack = subnormalSlack(d), twoMaxNorm = 2 * cs.maxNorm();
        for (int r0 = from; r0 < to; r0 += rb) {
            final int rn = Math.min(rb, to - r0);
            gatherRows(zf, g, r0, rn, zb);
            for (int i = 0; i < rn * d; i++) {
                if (!Float.isFinite(zb[i])) return r0 + i / d;
                x[i] = -2f * zb[i]; // exact: a power of two
            }
            // Tiles outermost: one tile (L1-sized) serves the whole block of vectors.
            for (int t = 0; t < cs.tiles(); t++) {
                cs.scoreRows(kernels, t, x, rn, s, k, t * tk);
            }
            for (int r = 0; r < rn; r++) {
                final int zo = r * d, so = r * k;
                double zz = 0;
                for (int c = 0; c < d; c++) zz += (double) zb[zo + c] * zb[zo + c];
                int count;
                if (zz + twoMaxNorm > SCORE_LIMIT) {
                    for (int j = 0; j < k; j++) cand[j] = j;
                    count = k;
                } else {
                    // One pass: candidates under the threshold of the running minimum (which only
                    // falls, and the threshold with it), then the survivors of the final threshold.
                    double beta = gScore * (zz + twoMaxNorm) + slack;
                    float m = Float.POSITIVE_INFINITY, tf = Float.POSITIVE_INFINITY;
                    int kept = 0;
                    for (int j = 0; j < k; j++) {
                        float v = s[so + j];
                        if (v <= tf) {
                            cand[kept++] = j;
                            if (v < m) {
                                m = v;
                                tf = threshold(m, zz, beta, gDirect, slack);
                            }
                        }
                    }
                    count = 0;
                    for (int i = 0; i < kept; i++) {
                        if (s[so + cand[i]] <= tf) cand[count++] = cand[i];
                    }
                }
                // The exact re-rank: the direct form, codes ascending, strict '<' (lowest index on ties).
                float best = Float.POSITIVE_INFINITY;
                int bestIdx = 0;
                for (int i = 0; i < count; i++) {
                    int j = cand[i];
                    float v = direct(zb, zo, ef, j * d, d);
                    if (v < best) { best = v; bestIdx = j; }
                }
                idx[r0 + r] = bestIdx;
                if (dist != null) dist[r0 + r] = best;
            }
        }
        return -1;
    }

    /**
     * The candidate threshold for an approximate minimum m: {@code m + 2 beta + delta} rounded up to
     * float (see the class comment); increasing in m.
     */
    private static float threshold(float m, double zz, double beta, double gDirect, double slack) {
        double delta = gDirect * Math.max(0, zz + m + beta) + slack;
        double bound = m + 2 * beta + delta;
        float tf = (float) bound;
        return tf < bound ? Math.nextUp(tf) : tf;
    }

    /**
     * The direct form {@code sum_c (z_c - e_c)^2}: fp32, ascending c, no fused multiply-add; the
     * first term starts the sum (0 + x == x, the same bits as summing from 0).
     */
    static float direct(float[] z, int zo, float[] e, int eo, int d) {
        float u = z[zo] - e[eo];
        float a = u * u;
        for (int c = 1; c < d; c++) {
            u = z[zo + c] - e[eo + c];
            a += u * u;
        }
        return a;
    }

    /** Copies vectors [r0, r0 + rn) of z (either layout) into {@code zb} as rows of D floats. */
    private static void gatherRows(float[] zf, VqLayout g, int r0, int rn, float[] zb) {
        final int d = g.d(), sp = g.spatial();
        if (sp == 1) {
            System.arraycopy(zf, r0 * d, zb, 0, rn * d);
            return;
        }
        // Channel-first: vectors of one image are contiguous per channel; copy runs of s.
        int n = r0;
        final int end = r0 + rn;
        while (n < end) {
            int b = n / sp, s0 = n - b * sp, len = Math.min(end - n, sp - s0);
            long plane0 = (long) b * d * sp + s0;
            for (int c = 0; c < d; c++) {
                int src = (int) (plane0 + (long) c * sp), dst = (n - r0) * d + c;
                for (int i = 0; i < len; i++) zb[dst + i * d] = zf[src + i];
            }
            n += len;
        }
    }

    // ---- nearestQuantize -----------------------------------------------------------------------

    /** nearestCode without distances, then zq = e[idx] in z's layout (the CUDA op fuses the two). */
    static NearestQuantized nearestQuantize(VqLayout g, Tensor z, Tensor codebook) {
        NearestCode nc = nearestCode(g, z, codebook, false);
        int[] idx = nc.indices().hostInts();
        float[] ef = codebook.hostFloats();
        float[] zq = new float[z.hostFloats().length];
        final int d = g.d(), sp = g.spatial();
        if (sp == 1) {
            Parallel.forRange((int) g.n(), Math.max(1, 32768 / d), (from, to) -> {
                for (int v = from; v < to; v++) System.arraycopy(ef, idx[v] * d, zq, v * d, d);
            });
        } else {
            Parallel.forRange(g.batch() * d, Math.max(1, 32768 / sp), (from, to) -> {
                for (int p = from; p < to; p++) {
                    int b = p / d, c = p - b * d, off = p * sp, nb = b * sp;
                    for (int s = 0; s < sp; s++) zq[off + s] = ef[idx[nb + s] * d + c];
                }
            });
        }
        return new NearestQuantized(nc.indices(), Tensor.of(zq, z.shape()));
    }

    // ---- quantize -----------------------------------------------------------------------------

    static Quantized quantize(VqLayout g, Tensor z, Tensor codebook, Tensor indices) {
        final int[] idx = indices.hostInts();
        final int k = g.k(), d = g.d(), sp = g.spatial();
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= k) throw badIndex(i, idx[i], codebook);
        }
        final float[] zf = z.hostFloats(), ef = codebook.hostFloats();
        final float[] zq = new float[zf.length], st = new float[zf.length];
        final int n = (int) g.n();
        final double[] partial;
        if (sp == 1) {
            // Rows: vector n is the contiguous run [n*D, n*D + D); code row idx[n] likewise.
            int grain = Math.max(1, 32768 / d);
            partial = new double[Parallel.chunkCount(n, grain)];
            Parallel.forChunks(n, grain, (chunk, from, to) -> {
                double sum = 0;
                for (int v = from; v < to; v++) {
                    int zo = v * d, eo = idx[v] * d;
                    for (int c = 0; c < d; c++) {
                        float x = zf[zo + c], q = ef[eo + c];
                        zq[zo + c] = q;
                        st[zo + c] = x + (q - x);
                    }
                    sum += squaredDiff(zf, zq, zo, d);
                }
                partial[chunk] = sum;
            });
        } else {
            // Channel-first: plane p = b*D + c is the contiguous run of S elements of channel c.
            int planes = g.batch() * d;
            int grain = Math.max(1, 32768 / sp);
            partial = new double[Parallel.chunkCount(planes, grain)];
            Parallel.forChunks(planes, grain, (chunk, from, to) -> {
                double sum = 0;
                for (int p = from; p < to; p++) {
                    int b = p / d, c = p - b * d, off = p * sp, nb = b * sp;
                    for (int s = 0; s < sp; s++) zq[off + s] = ef[idx[nb + s] * d + c];
                    for (int s = 0; s < sp; s++) {
                        float x = zf[off + s], q = zq[off + s];
                        st[off + s] = x + (q - x);
                    }
                    sum += squaredDiff(zf, zq, off, sp);
                }
                partial[chunk] = sum;
            });
        }
        double total = 0;
        for (double p : partial) total += p; // chunk order: deterministic
        float loss = (float) (total / ((double) n * d));
        return new Quantized(Tensor.of(zq, z.shape()), Tensor.of(st, z.shape()), Tensor.of(new float[] {loss, loss}, 2));
    }

    /** sum over [off, off + len) of (z - zq)^2 in double. */
    private static double squaredDiff(float[] zf, float[] zq, int off, int len) {
        double s = 0;
        for (int i = off; i < off + len; i++) {
            double df = (double) zf[i] - zq[i];
            s += df * df;
        }
        return s;
    }
}
