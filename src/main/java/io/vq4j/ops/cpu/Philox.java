package io.vq4j.ops.cpu;

/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11), the
 * counter-based generator behind every random draw in vq4j. cuda/philox.cuh is its CUDA twin;
 * both must produce the same bits, and the same normals to float rounding.
 *
 * <p>Mapping (shared with the kernels): element i of a draw with {@code (seed, offset)} uses
 * counter {@code (lo32(i/4), hi32(i/4), lo32(offset), hi32(offset))}, key
 * {@code (lo32(seed), hi32(seed))}, and lane {@code i % 4} of the output. Normals come from
 * Box-Muller on lane pairs (0,1) and (2,3): {@code u = ((x >>> 9) + 0.5) * 2^-23} (exact in float,
 * never 0 or 1), {@code r = sqrt(-2 ln u_a)}, {@code n_a = r cos(2 pi u_b)}, {@code n_b = r sin(2 pi u_b)}.
 */
public final class Philox {
    private Philox() {}

    static final int M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;
    /** Counter word 3 of dead-code revival draws ("REVI"), apart from any normal draw's counters. */
    static final int REVIVE_TAG = 0x52455649;

    /** The four output words for counter (c0..c3) and key (k0, k1), written into {@code out}. */
    public static void block(int c0, int c1, int c2, int c3, int k0, int k1, int[] out) {
        for (int round = 0; round < 10; round++) {
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int hi0 = (int) (p0 >>> 32), lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32), lo1 = (int) p1;
            int n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
            c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
            k0 += W0;
            k1 += W1;
        }
        out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
    }

    /** Blocks evaluated side by side by {@link #rounds}. */
    static final int LANES = 128;

    private static final ThreadLocal<Lanes> LANE_SCRATCH = ThreadLocal.withInitial(Lanes::new);

    private static final class Lanes {
        final int[] x0 = new int[LANES], x1 = new int[LANES], x2 = new int[LANES], x3 = new int[LANES];
        final BoxMullerLanes boxMuller = new BoxMullerLanes(LANES);
    }

    private static final int M0_LO = M0 & 0xFFFF, M0_HI = M0 >>> 16, M1_LO = M1 & 0xFFFF, M1_HI = M1 >>> 16;

    /**
     * {@link #block} for LANES counters at once (x0..x3[b] in, the output words out), in int
     * arithmetic only, so C2 vectorises it: 8 blocks an AVX2 instruction (~2 ns an element against
     * ~6 for {@link #block}'s scalar 64-bit multiplies). The high half of the 32 x 32-bit product
     * is assembled from four 16 x 16-bit products (each exact in 32 bits, read unsigned).
     */
    static void rounds(int[] x0, int[] x1, int[] x2, int[] x3, int k0, int k1) {
        for (int round = 0; round < 10; round++) {
            for (int b = 0; b < LANES; b++) {
                int a = x0[b], c = x2[b];
                int a0 = a & 0xFFFF, a1 = a >>> 16, c0 = c & 0xFFFF, c1 = c >>> 16;
                int p00 = a0 * M0_LO, p01 = a0 * M0_HI, p10 = a1 * M0_LO, p11 = a1 * M0_HI;
                int hi0 = p11 + (p01 >>> 16) + (p10 >>> 16)
                        + (((p00 >>> 16) + (p01 & 0xFFFF) + (p10 & 0xFFFF)) >>> 16);
                int q00 = c0 * M1_LO, q01 = c0 * M1_HI, q10 = c1 * M1_LO, q11 = c1 * M1_HI;
                int hi1 = q11 + (q01 >>> 16) + (q10 >>> 16)
                        + (((q00 >>> 16) + (q01 & 0xFFFF) + (q10 & 0xFFFF)) >>> 16);
                x0[b] = hi1 ^ x1[b] ^ k0;
                x1[b] = c * M1;
                x2[b] = hi0 ^ x3[b] ^ k1;
                x3[b] = a * M0;
            }
            k0 += W0;
            k1 += W1;
        }
    }

    /** Uniform in (0, 1), exact in float: ((x >>> 9) + 0.5) * 2^-23. */
    public static float uniform(int x) {
        return ((x >>> 9) + 0.5f) * 0x1.0p-23f;
    }

    /**
     * Fills {@code out[0..count)} with normals for elements {@code first .. first+count-1} of the
     * draw {@code (seed, offset)}. {@code first} need not be a multiple of 4.
     */
    public static void normals(long seed, long offset, long first, float[] out, int outOffset, int count) {
        if (count <= 0) return;
        int k0 = (int) seed, k1 = (int) (seed >>> 32);
        int c2 = (int) offset, c3 = (int) (offset >>> 32);
        int[] w = new int[4];
        float[] g = new float[4];
        int j = 0;
        // A partial first block (first not a multiple of 4), then whole blocks, then a partial last block.
        int lead = (int) ((4 - (first & 3)) & 3);
        if (lead > 0) {
            long q = first >>> 2;
            block((int) q, (int) (q >>> 32), c2, c3, k0, k1, w);
            boxMuller(w, g);
            for (int lane = (int) (first & 3); lane < 4 && j < count; lane++) out[outOffset + j++] = g[lane];
        }
        int whole = (count - j) / 4;
        if (whole > 0) {
            // Whole blocks straight into out: the selected kernels (Vector API or C2's loops).
            Kernels.get().normalBlocks((first + j) >>> 2, whole, c2, c3, k0, k1, out, outOffset + j);
            j += 4 * whole;
        }
        if (j < count) {
            long q = (first + j) >>> 2;
            block((int) q, (int) (q >>> 32), c2, c3, k0, k1, w);
            boxMuller(w, g);
            for (int lane = 0; j < count; lane++) out[outOffset + j++] = g[lane];
        }
    }

    /**
     * {@link CpuKernels#normalBlocks} in plain Java: LANES blocks at a time through {@link #rounds}
     * and {@link BoxMullerLanes}, the rest one block at a time.
     */
    static void laneBlocks(long q0, int blocks, int c2, int c3, int k0, int k1, float[] out, int o) {
        int b0 = 0;
        if (blocks >= LANES) {
            Lanes l = LANE_SCRATCH.get();
            for (; b0 + LANES <= blocks; b0 += LANES) {
                for (int b = 0; b < LANES; b++) {
                    long q = q0 + b0 + b;
                    l.x0[b] = (int) q;
                    l.x1[b] = (int) (q >>> 32);
                    l.x2[b] = c2;
                    l.x3[b] = c3;
                }
                rounds(l.x0, l.x1, l.x2, l.x3, k0, k1);
                l.boxMuller.normals(l.x0, l.x1, l.x2, l.x3, out, o + 4 * b0);
            }
        }
        if (b0 < blocks) {
            int[] w = new int[4];
            for (; b0 < blocks; b0++) {
                long q = q0 + b0;
                block((int) q, (int) (q >>> 32), c2, c3, k0, k1, w);
                int p = o + 4 * b0;
                pair(w[0], w[1], out, p);
                pair(w[2], w[3], out, p + 2);
            }
        }
    }

    /** The four normals of one Philox block (lanes 0..3). */
    static void boxMuller(int[] w, float[] g) {
        pair(w[0], w[1], g, 0);
        pair(w[2], w[3], g, 2);
    }

    /**
     * One Box-Muller pair: {@code r = sqrt(-2 ln u_a)}, {@code out[o] = r cos(2 pi u_b)},
     * {@code out[o+1] = r sin(2 pi u_b)}, in double and rounded once to float. ln and sin/cos are
     * polynomials here rather than Math.log, Math.sin and Math.cos (three library calls a pair, most
     * of the time of a draw): their inputs are exact binary fractions whose ranges are known, so
     * the reductions are exact and short.
     */
    static void pair(int wa, int wb, float[] out, int o) {
        double r = Math.sqrt(-2.0 * lnUniform(wa));
        // theta = 2 pi u_b: quadrant n = round(4 u_b), a = 2 pi (u_b - n/4) in [-pi/4, pi/4] (exact:
        // u_b - n/4 is a difference of binary fractions with at most 25 significant bits).
        double ub = ((wb >>> 9) + 0.5) * 0x1.0p-23;
        int n = (int) (ub * 4 + 0.5);
        double a = (ub - n * 0.25) * (2 * Math.PI);
        double a2 = a * a;
        // Taylor to a^13 and a^14: truncation below 2e-14 on |a| <= pi/4.
        double sp = Math.fma(a2, -1.0 / 6227020800.0, 1.0 / 39916800.0);
        sp = Math.fma(sp, a2, -1.0 / 362880.0);
        sp = Math.fma(sp, a2, 1.0 / 5040.0);
        sp = Math.fma(sp, a2, -1.0 / 120.0);
        sp = Math.fma(sp, a2, 1.0 / 6.0);
        double sin = Math.fma(-a * a2, sp, a);
        double cp = Math.fma(a2, 1.0 / 87178291200.0, -1.0 / 479001600.0);
        cp = Math.fma(cp, a2, 1.0 / 3628800.0);
        cp = Math.fma(cp, a2, -1.0 / 40320.0);
        cp = Math.fma(cp, a2, 1.0 / 720.0);
        cp = Math.fma(cp, a2, -1.0 / 24.0);
        cp = Math.fma(cp, a2, 0.5);
        double cos = Math.fma(-a2, cp, 1.0);
        // Rotate by n quarter turns without a branch (n is random: a switch mispredicts 3 times in 4):
        // (cq, sq) = (cos, sin)(n pi/2) in {0, +-1}, so each product and sum below is exact.
        int odd = n & 1, sign = 1 - (n & 2);
        double cq = (1 - odd) * sign, sq = odd * sign;
        double c = cq * cos - sq * sin, s = sq * cos + cq * sin;
        out[o] = (float) (r * c);
        out[o + 1] = (float) (r * s);
    }

    private static final double LN2 = 0.6931471805599453;

    /**
     * ln of {@link #uniform}(x) = (m + 0.5) 2^-23 with m = x >>> 9, in double: v = m + 0.5 = f 2^e
     * with f in [sqrt(1/2), sqrt(2)), ln v = 2 atanh((f - 1)/(f + 1)) + e ln 2 (the series in
     * s^2 <= 0.0295 to s^15: truncation below 1e-13), minus 23 ln 2.
     */
    static double lnUniform(int x) {
        double v = (x >>> 9) + 0.5;
        long bits = Double.doubleToRawLongBits(v);
        int e = (int) (bits >>> 52) - 1023;
        double f = Double.longBitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L);
        if (f > 1.4142135623730951) {
            f *= 0.5;
            e++;
        }
        double s = (f - 1) / (f + 1), s2 = s * s;
        double p = Math.fma(s2, 1.0 / 15, 1.0 / 13);
        p = Math.fma(p, s2, 1.0 / 11);
        p = Math.fma(p, s2, 1.0 / 9);
        p = Math.fma(p, s2, 1.0 / 7);
        p = Math.fma(p, s2, 1.0 / 5);
        p = Math.fma(p, s2, 1.0 / 3);
        double lnF = 2 * Math.fma(s * s2, p, s);
        return Math.fma(e - 23, LN2, lnF);
    }

    /**
     * The batch row that replaces dead code {@code k} in dead-code revival: the first word of
     * Philox(counter (k, 0, 0, REVIVE_TAG), key seed), unsigned, modulo {@code n}.
     */
    public static int reviveRow(long seed, int k, long n) {
        int[] w = new int[4];
        block(k, 0, 0, REVIVE_TAG, (int) seed, (int) (seed >>> 32), w);
        return (int) Long.remainderUnsigned(w[0] & 0xFFFFFFFFL, n);
    }
}
