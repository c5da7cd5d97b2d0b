package io.vq4j.ops;

import io.vq4j.ops.cpu.Parallel;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * CPU twins of cuda/vq_nearest.cu and cuda/vq_quantize.cu: nearest codebook row per z vector,
 * and the quantize gather with the straight-through output and the losses.
 *
 * <h2>nearestCode: direct form, exact in fp32 order</h2>
 * The search uses the direct form {@code d_k = sum_c (z_c - e_kc)^2} in fp32 with ascending c and
 * no fused multiply-add, i.e. exactly the reported distance (so the reported distance is the
 * minimum the search saw), and the CUDA finalize kernel computes the reported distance with the
 * same operations in the same order: for the same chosen code both backends report the same bits.
 * The N x K matrix is never made: the codebook is copied once into code tiles stored
 * dimension-major ({@code [c][j]} within a tile of 8K floats, or 64 codes when D &gt; 128: cache
 * sized), and for each block of gathered z rows and each tile the inner loop is an axpy over the
 * tile's codes,
 * {@code acc[j] += (z_c - eT[c][j])^2}, which C2 vectorises; a running (best, index) per row keeps
 * the lowest index on ties (strict '&lt;', codes ascending).
 *
 * <p>Rounding bound (direct form): with u = 2^-24, the subtraction, the square and the D-term
 * recursive sum give {@code |fl(d_k) - d_k| <= gamma_{D+2} * d_k}, gamma_m = m*u/(1 - m*u). So this
 * twin can pick g over the exact argmin r only when {@code d_g - d_r <= gamma_{D+2} (d_g + d_r)}.
 * The CUDA search uses the expanded form {@code ||e||^2 - 2 z.e}, whose bound (derived in
 * cuda/vq_nearest.cu) is {@code gamma * (||z||^2 + ||e_k||^2)}, gamma = 2 (D + 2) 2^-24: looser,
 * since it is relative to the norms, not to the distance.
 *
 * <h2>Data checks</h2>
 * Non-finite values are found during the pass (the codebook while it is tiled, z while its rows
 * are gathered) and reported with the lowest offending row; indices of quantize are checked first.
 */
final class CpuNearest {
    private CpuNearest() {}

    /** Floats of one code tile (codes x dims): 32 KB, so a tile stays in L1/L2 while rows stream past. */
    private static final int TILE_FLOATS = 8192;
    /** Floats of one gathered block of z rows. */
    private static final int ROW_BLOCK_FLOATS = 16384;
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
        final int tk = codesPerTile(k, d);
        final float[] et = tiledCodebook(codebook.hostFloats(), k, d, tk, codebook);
        final float[] zf = z.hostFloats();
        final int[] idx = new int[n];
        final float[] dist = withDistances ? new float[n] : null;
        final AtomicInteger firstBad = new AtomicInteger(Integer.MAX_VALUE);
        final int grain = (int) Math.max(1, Math.min(n, CHUNK_WORK / ((long) k * d)));
        Parallel.forRange(n, grain, (from, to) -> {
            int bad = searchRange(zf, g, et, tk, from, to, idx, dist);
            if (bad >= 0) firstBad.accumulateAndGet(bad, Math::min);
        });
        if (firstBad.get() != Integer.MAX_VALUE) throw nonFiniteZ(firstBad.get(), z);
        int[] shape = g.indexShape();
        return new NearestCode(Tensor.ofInts(idx, shape), dist == null ? null : Tensor.of(dist, shape));
    }

    /** Codes per tile: about TILE_FLOATS / D, at least 64 so the vectorised j loop has a real main loop. */
    static int codesPerTile(int k, int d) {
        return Math.min(k, Math.max(64, TILE_FLOATS / d));
    }

    /**
     * The codebook as consecutive tiles of {@code tk} codes (the last may be shorter, width w),
     * each stored dimension-major: element (code k0 + j, dim c) at {@code k0*D + c*w + j}.
     * Throws on the lowest non-finite row.
     */
    private static float[] tiledCodebook(float[] e, int k, int d, int tk, Tensor codebook) {
        float[] et = new float[k * d];
        int tiles = (k + tk - 1) / tk;
        AtomicInteger firstBad = new AtomicInteger(Integer.MAX_VALUE);
        Parallel.forRange(tiles, Math.max(1, 65536 / (tk * d)), (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int k0 = t * tk, w = Math.min(tk, k - k0), base = k0 * d;
                for (int j = 0; j < w; j++) {
                    int src = (k0 + j) * d;
                    boolean finite = true;
                    for (int c = 0; c < d; c++) {
                        float v = e[src + c];
                        finite &= Float.isFinite(v);
                        et[base + c * w + j] = v;
                    }
                    if (!finite) {
                        firstBad.accumulateAndGet(k0 + j, Math::min);
                        return; // later rows of this range cannot be the lowest
                    }
                }
            }
        });
        if (firstBad.get() != Integer.MAX_VALUE) throw nonFiniteCodebook(firstBad.get(), codebook);
        return et;
    }

    /**
     * Nearest codes of vectors [from, to). Returns the lowest non-finite vector of the range
     * (and stops there), or -1.
     */
    private static int searchRange(float[] zf, VqLayout g, float[] et, int tk, int from, int to,
                                   int[] idx, float[] dist) {
        final int d = g.d(), k = g.k();
        final int rb = Math.max(1, Math.min(256, ROW_BLOCK_FLOATS / d));
        final float[] zb = new float[rb * d];
        final float[] acc = new float[tk];
        final float[] best = new float[rb];
        final int[] bestIdx = new int[rb];
        for (int r0 = from; r0 < to; r0 += rb) {
            final int rn = Math.min(rb, to - r0);
            gatherRows(zf, g, r0, rn, zb);
            for (int i = 0; i < rn * d; i++) {
                if (!Float.isFinite(zb[i])) return r0 + i / d;
            }
            java.util.Arrays.fill(best, Float.POSITIVE_INFINITY);
            java.util.Arrays.fill(bestIdx, 0);
            for (int k0 = 0; k0 < k; k0 += tk) {
                final int w = Math.min(tk, k - k0), base = k0 * d;
                for (int r = 0; r < rn; r++) {
                    final int zo = r * d;
                    // c = 0 writes acc, so no clearing pass; 0 + x == x, the same bits as summing from 0.
                    final float z0 = zb[zo];
                    for (int j = 0; j < w; j++) {
                        float u = z0 - et[base + j];
                        acc[j] = u * u;
                    }
                    for (int c = 1; c < d; c++) {
                        final float zc = zb[zo + c];
                        final int eo = base + c * w;
                        for (int j = 0; j < w; j++) {
                            float u = zc - et[eo + j];
                            acc[j] += u * u;
                        }
                    }
                    float b = best[r];
                    int bj = bestIdx[r];
                    for (int j = 0; j < w; j++) {
                        if (acc[j] < b) { b = acc[j]; bj = k0 + j; }
                    }
                    best[r] = b;
                    bestIdx[r] = bj;
                }
            }
            System.arraycopy(bestIdx, 0, idx, r0, rn);
            if (dist != null) System.arraycopy(best, 0, dist, r0, rn);
        }
        return -1;
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
