package io.vq4j.ops.cpu;

/**
 * Approximate nearest-code scores {@code s_k = ||e_k||^2 - 2 z.e_k} for one z vector against a
 * whole codebook, the fast first stage of the CPU nearest-code search (the exact re-rank and
 * its certificate live in the caller, io.vq4j.ops.CpuNearest).
 *
 * <h2>Layout and inner loop</h2>
 * The codebook is packed once into tiles of {@link #tile()} codes, each dimension-major as
 * separate row arrays {@code tiles[t][c][j]} = e(code t*tk + j, dim c), with the norms as an
 * extra array per tile. The scores of one vector against one tile start from the norms and add
 * eight dimensions a pass: {@code acc[j] = fma(x7, e7[j], ... fma(x0, e0[j], acc[j]))} with
 * {@code x_c = -2 z_c}. Every array is indexed at the same {@code j} from 0, so C2 can prove the
 * loads and the store do not overlap and turns the loop into AVX FMAs (see {@link Gemm} for why
 * offsets into one shared array defeat it). 8 vector loads + 1 load/store of acc feed 8 FMAs.
 *
 * <p>Napkin math, D = 64, tk = 128: a tile is 32 KiB (L1-sized); one vector against it is 8K
 * FMAs on 8 passes over a 512-byte accumulator. N=65536, K=512 is 2.1G FMAs: ~30 ms at two cores'
 * ~150 GFLOP/s peak, ~60-90 ms at the 50-70 GFLOP/s these loops reach.
 *
 * <h2>Rounding (what the caller's certificate uses)</h2>
 * The norm is summed in double and rounded once (error at most u ||e||^2, u = 2^-24), then D
 * fused multiply-adds each round once: a recursive sum, so
 * {@code |s~_k - s_k| <= gamma_{D+1} (||e_k||^2 + 2 sum_c |z_c e_kc|) <= gamma_{D+1} (2 ||e_k||^2 + ||z||^2)},
 * gamma_m = m u / (1 - m u), for inputs whose partial sums neither overflow nor go subnormal.
 * {@link #maxNorm()} gives the largest ||e_k||^2 (in double) for that bound.
 */
public final class CodeScores {
    private final int d, tk;
    /** tiles[t][c] = dimension c of tile t's codes; tiles[t][d] = their norms in float. */
    private final float[][][] tiles;
    private final double maxNorm;

    /**
     * Packs row-major {@code e[K][D]} (finite: the caller has checked). Throws
     * IllegalArgumentException naming the sizes when the packed copy would not fit in arrays.
     */
    public CodeScores(float[] e, int k, int d) {
        this.d = d;
        this.tk = tileFor(k, d);
        int count = (k + tk - 1) / tk;
        tiles = new float[count][][];
        double[] tileMax = new double[count];
        Parallel.forRange(count, Math.max(1, 65536 / (tk * d)), (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int k0 = t * tk, w = Math.min(tk, k - k0);
                float[][] tile = new float[d + 1][w];
                double mx = 0;
                for (int j = 0; j < w; j++) {
                    int src = (k0 + j) * d;
                    double norm = 0;
                    for (int c = 0; c < d; c++) {
                        float v = e[src + c];
                        tile[c][j] = v;
                        norm += (double) v * v;
                    }
                    tile[d][j] = (float) norm;
                    mx = Math.max(mx, norm);
                }
                tiles[t] = tile;
                tileMax[t] = mx;
            }
        });
        double mx = 0;
        for (double v : tileMax) mx = Math.max(mx, v);
        maxNorm = mx;
    }

    /**
     * Codes per tile: about 8K floats of codebook (32 KiB, an L1's worth) so a tile stays in L1 while
     * a block of vectors passes over it; at least 64 codes so the vector loop has a real main loop.
     */
    static int tileFor(int k, int d) {
        return Math.min(k, Math.max(64, (8192 / Math.max(1, d)) & ~7));
    }

    /** Codes per tile. */
    public int tile() { return tk; }

    /** Number of tiles. */
    public int tiles() { return tiles.length; }

    /** The largest squared code norm, in double (of the float codes). */
    public double maxNorm() { return maxNorm; }

    /**
     * Scores of {@code rows} vectors against tile t: {@code out[r * stride + off + j]} = s~ of code
     * {@code t*tile() + j} for the vector whose entries times -2 are {@code x[r*D .. r*D + D)},
     * through the selected {@link CpuKernels}. Returns the tile's width.
     */
    public int scoreRows(CpuKernels kernels, int t, float[] x, int rows, float[] out, int stride, int off) {
        float[][] tile = tiles[t];
        kernels.scoreTile(tile, d, x, rows, out, stride, off);
        return tile[d].length;
    }

    private static final ThreadLocal<float[]> ACC = ThreadLocal.withInitial(() -> new float[128]);

    /** {@link CpuKernels#scoreTile} in plain Java: one vector at a time through the micro-kernels below. */
    static void scoreTilePortable(float[][] tile, int d, float[] x, int rows, float[] out, int stride, int off) {
        int w = tile[d].length;
        float[] acc = ACC.get();
        if (acc.length < w) ACC.set(acc = new float[w]);
        for (int r = 0; r < rows; r++) {
            int xo = r * d;
            System.arraycopy(tile[d], 0, acc, 0, w);
            int c = 0;
            for (; c + 8 <= d; c += 8) {
                int q = xo + c;
                fma8(acc, w, x[q], x[q + 1], x[q + 2], x[q + 3], x[q + 4], x[q + 5], x[q + 6], x[q + 7],
                        tile[c], tile[c + 1], tile[c + 2], tile[c + 3], tile[c + 4], tile[c + 5], tile[c + 6], tile[c + 7]);
            }
            for (; c < d; c++) fma1(acc, w, x[xo + c], tile[c]);
            System.arraycopy(acc, 0, out, r * stride + off, w);
        }
    }

    // The micro-kernels: the same index j in every array, so C2 vectorises them. The fma order
    // (c ascending) is what makes the sum recursive, as the bound above assumes.

    private static void fma8(float[] a, int n, float x0, float x1, float x2, float x3,
                             float x4, float x5, float x6, float x7,
                             float[] b0, float[] b1, float[] b2, float[] b3,
                             float[] b4, float[] b5, float[] b6, float[] b7) {
        for (int j = 0; j < n; j++) {
            float s = Math.fma(x0, b0[j], a[j]);
            s = Math.fma(x1, b1[j], s);
            s = Math.fma(x2, b2[j], s);
            s = Math.fma(x3, b3[j], s);
            s = Math.fma(x4, b4[j], s);
            s = Math.fma(x5, b5[j], s);
            s = Math.fma(x6, b6[j], s);
            a[j] = Math.fma(x7, b7[j], s);
        }
    }

    private static void fma1(float[] a, int n, float x0, float[] b0) {
        for (int j = 0; j < n; j++) a[j] = Math.fma(x0, b0[j], a[j]);
    }
}
