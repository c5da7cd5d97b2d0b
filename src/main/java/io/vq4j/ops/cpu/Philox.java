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

    /** Uniform in (0, 1), exact in float: ((x >>> 9) + 0.5) * 2^-23. */
    public static float uniform(int x) {
        return ((x >>> 9) + 0.5f) * 0x1.0p-23f;
    }

    /**
     * Fills {@code out[0..count)} with normals for elements {@code first .. first+count-1} of the
     * draw {@code (seed, offset)}. {@code first} need not be a multiple of 4.
     */
    public static void normals(long seed, long offset, long first, float[] out, int outOffset, int count) {
        int k0 = (int) seed, k1 = (int) (seed >>> 32);
        int c2 = (int) offset, c3 = (int) (offset >>> 32);
        int[] w = new int[4];
        float[] g = new float[4];
        long groupDone = -1;
        for (int j = 0; j < count; j++) {
            long i = first + j;
            long q = i >>> 2;
            if (q != groupDone) {
                block((int) q, (int) (q >>> 32), c2, c3, k0, k1, w);
                boxMuller(w, g);
                groupDone = q;
            }
            out[outOffset + j] = g[(int) (i & 3)];
        }
    }

    /** The four normals of one Philox block (lanes 0..3). */
    static void boxMuller(int[] w, float[] g) {
        for (int pair = 0; pair < 2; pair++) {
            float ua = uniform(w[2 * pair]), ub = uniform(w[2 * pair + 1]);
            double r = Math.sqrt(-2.0 * Math.log(ua));
            double theta = 2.0 * Math.PI * ub;
            g[2 * pair] = (float) (r * Math.cos(theta));
            g[2 * pair + 1] = (float) (r * Math.sin(theta));
        }
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
