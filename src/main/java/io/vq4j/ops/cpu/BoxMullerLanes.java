package io.vq4j.ops.cpu;

/**
 * {@link Philox#pair} for many pairs at once, in loops C2 vectorises: the radius
 * {@code sqrt(-2 ln u_a)} and the angle's cos and sin for arrays of words, then one scalar pass
 * that interleaves the products into the output. Same formulas and reductions as {@code pair}
 * (so the same values to double rounding), rearranged so that no loop needs a branch, a
 * bit-reinterpretation of a computed value, or a variable shift: C2 vectorises none of those.
 *
 * <ul>
 * <li>ln: m = w >>> 9, e = floor(log2 m) by five halving steps in int arithmetic, f = (m + 0.5) 2^-e
 *     (exact in float: 24 bits), moved into [sqrt(1/2), sqrt(2)) by one exact halving or doubling,
 *     then {@code 2 atanh((f-1)/(f+1)) + (e - 23) ln 2} in double.</li>
 * <li>angle: u_b and t = u_b - n/4 (n = round(4 u_b)) exact in float, a = 2 pi t in double,
 *     Taylor sin and cos, then a rotation by n quarter turns with multipliers in {0, +-1}.</li>
 * </ul>
 * Napkin math: ~70 double flops a pair at 4 lanes: ~2-3 ns an element on one core, against ~12
 * for the scalar pair (two dependent chains of ~60 cycles each: divide, sqrt, polynomials).
 */
final class BoxMullerLanes {
    private final int n;
    private final int[] m, t, bits;
    private final float[] fm, ef, tq, cq, sq;
    private final double[] r0, r1, c0, s0, c1, s1;

    BoxMullerLanes(int lanes) {
        n = lanes;
        m = new int[n]; t = new int[n]; bits = new int[n];
        fm = new float[n]; ef = new float[n]; tq = new float[n]; cq = new float[n]; sq = new float[n];
        r0 = new double[n]; r1 = new double[n]; c0 = new double[n]; s0 = new double[n]; c1 = new double[n]; s1 = new double[n];
    }

    private static final double LN2 = 0.6931471805599453, TWO_PI = 2 * Math.PI;

    /**
     * Normals of blocks b = 0..n-1 given their Philox output words (x0..x3)[b]: elements
     * {@code out[o + 4b .. o + 4b + 3]}.
     */
    void normals(int[] x0, int[] x1, int[] x2, int[] x3, float[] out, int o) {
        radius(x0, r0);
        radius(x2, r1);
        angle(x1, c0, s0);
        angle(x3, c1, s1);
        for (int b = 0, p = o; b < n; b++, p += 4) {
            out[p] = (float) (r0[b] * c0[b]);
            out[p + 1] = (float) (r0[b] * s0[b]);
            out[p + 2] = (float) (r1[b] * c1[b]);
            out[p + 3] = (float) (r1[b] * s1[b]);
        }
    }

    /** r[b] = sqrt(-2 ln u(w[b])). */
    private void radius(int[] w, double[] r) {
        int[] m = this.m, t = this.t, bits = this.bits;
        float[] fm = this.fm, ef = this.ef;
        for (int b = 0; b < n; b++) m[b] = w[b] >>> 9;
        // e = floor(log2 m) (0 for m = 0): halve by 16, 8, 4, 2, 1 where the value allows.
        for (int b = 0; b < n; b++) {
            int x = m[b], e = 0, h;
            h = Math.min(1, x >>> 16); e += h << 4; x = (x >>> 16) * h + x * (1 - h);
            h = Math.min(1, x >>> 8); e += h << 3; x = (x >>> 8) * h + x * (1 - h);
            h = Math.min(1, x >>> 4); e += h << 2; x = (x >>> 4) * h + x * (1 - h);
            h = Math.min(1, x >>> 2); e += h << 1; x = (x >>> 2) * h + x * (1 - h);
            h = Math.min(1, x >>> 1); e += h;
            t[b] = e;
            bits[b] = (127 - e) << 23; // 2^-e
        }
        for (int b = 0; b < n; b++) fm[b] = Float.intBitsToFloat(bits[b]);
        // f = (m + 0.5) 2^-e in [1, 2) (0.5 for m = 0); both exact in float.
        for (int b = 0; b < n; b++) fm[b] = (m[b] + 0.5f) * fm[b];
        for (int b = 0; b < n; b++) {
            float f = fm[b];
            int hi = (int) (f * 0.70710677f);          // 1 where f >= ~sqrt 2
            int lo = 1 - Math.min(1, (int) (f * 1.4142135f)); // 1 where f < ~sqrt(1/2)
            t[b] += hi - lo;
            bits[b] = hi - lo;
        }
        for (int b = 0; b < n; b++) {
            ef[b] = t[b];
            fm[b] *= 1f - 0.5f * Math.max(0, bits[b]) + Math.max(0, -bits[b]); // x1/2, x2 or x1: exact
        }
        for (int b = 0; b < n; b++) {
            double f = fm[b];
            double s = (f - 1) / (f + 1), s2 = s * s;
            double p = Math.fma(s2, 1.0 / 15, 1.0 / 13);
            p = Math.fma(p, s2, 1.0 / 11);
            p = Math.fma(p, s2, 1.0 / 9);
            p = Math.fma(p, s2, 1.0 / 7);
            p = Math.fma(p, s2, 1.0 / 5);
            p = Math.fma(p, s2, 1.0 / 3);
            double lnU = Math.fma(ef[b] - 23.0, LN2, 2 * Math.fma(s * s2, p, s));
            r[b] = Math.sqrt(-2.0 * lnU);
        }
    }

    /** (c, s)[b] = (cos, sin)(2 pi u(w[b])). */
    private void angle(int[] w, double[] c, double[] s) {
        int[] m = this.m, t = this.t;
        float[] tq = this.tq, cq = this.cq, sq = this.sq;
        for (int b = 0; b < n; b++) m[b] = w[b] >>> 9;
        for (int b = 0; b < n; b++) {
            float ub = (m[b] + 0.5f) * 0x1.0p-23f;
            t[b] = (int) (ub * 4 + 0.5f); // the quadrant n = round(4 u_b)
        }
        for (int b = 0; b < n; b++) tq[b] = (m[b] + 0.5f) * 0x1.0p-23f - t[b] * 0.25f; // exact
        for (int b = 0; b < n; b++) {
            int q = t[b], odd = q & 1, sign = 1 - (q & 2);
            cq[b] = (1 - odd) * sign;
            sq[b] = odd * sign;
        }
        for (int b = 0; b < n; b++) {
            double a = tq[b] * TWO_PI, a2 = a * a;
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
            double kc = cq[b], ks = sq[b];
            c[b] = kc * cos - ks * sin;
            s[b] = ks * cos + kc * sin;
        }
    }
}
