package io.vq4j.ops;

import io.vq4j.TestData;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Test-side double-precision references for nearestCode and quantize (plain loops, written
 * independently of the code under test), the rounding bounds the fp32 implementations are held to,
 * and a comparison that tells a near-tie (allowed) from a wrong answer.
 */
final class NearestReference {
    private NearestReference() {}

    static final double U = 0x1p-24;

    /** A problem: z in rows [N, D] (h = w = 0) or channel-first [B, D, H, W], codebook [K, D]. */
    record Case(int b, int d, int h, int w, int k) {
        static Case rows(int n, int d, int k) { return new Case(n, d, 0, 0, k); }
        static Case nchw(int b, int d, int h, int w, int k) { return new Case(b, d, h, w, k); }

        boolean isRows() { return h == 0; }
        int spatial() { return isRows() ? 1 : h * w; }
        int n() { return b * spatial(); }
        int[] zShape() { return isRows() ? new int[] {b, d} : new int[] {b, d, h, w}; }
        int[] indexShape() { return isRows() ? new int[] {b} : new int[] {b, h, w}; }
        String layout() { return isRows() ? "rows" : "nchw"; }

        /** Offset of element (vector n, component c) in z, written out from the definition. */
        int offset(int n, int c) {
            int s = spatial(), bb = n / s, ss = n % s;
            return (bb * d + c) * s + ss;
        }

        @Override public String toString() {
            return "N=" + n() + " D=" + d + " K=" + k + " layout=" + layout() + " z" + Arrays.toString(zShape());
        }
    }

    /** Vector n of z as doubles. */
    static double[] vector(Case c, float[] z, int n) {
        double[] v = new double[c.d()];
        for (int i = 0; i < c.d(); i++) v[i] = z[c.offset(n, i)];
        return v;
    }

    /** z as rows [N, D] (vector n at n*D), whatever its layout. */
    static float[] asRows(Case c, float[] z) {
        float[] r = new float[c.n() * c.d()];
        for (int n = 0; n < c.n(); n++) for (int i = 0; i < c.d(); i++) r[n * c.d() + i] = z[c.offset(n, i)];
        return r;
    }

    static double dist(double[] zv, float[] e, int d, int k) {
        double s = 0;
        for (int i = 0; i < d; i++) {
            double t = zv[i] - e[k * d + i];
            s += t * t;
        }
        return s;
    }

    static double sq(double[] v) {
        double s = 0;
        for (double x : v) s += x * x;
        return s;
    }

    static double rowSq(float[] e, int d, int k) {
        double s = 0;
        for (int i = 0; i < d; i++) s += (double) e[k * d + i] * e[k * d + i];
        return s;
    }

    /** argmin_k of the exact (double) distance, lowest index on ties, for the given vectors. */
    static int[] nearest(Case c, float[] z, float[] e, int[] vectors) {
        int[] out = new int[vectors.length];
        IntStream.range(0, vectors.length).parallel().forEach(i -> {
            double[] zv = vector(c, z, vectors[i]);
            int best = 0;
            double bd = Double.POSITIVE_INFINITY;
            for (int k = 0; k < c.k(); k++) {
                double dk = dist(zv, e, c.d(), k);
                if (dk < bd) { bd = dk; best = k; }
            }
            out[i] = best;
        });
        return out;
    }

    static int[] all(int n) { return IntStream.range(0, n).toArray(); }

    /** gamma_m = m u / (1 - m u). */
    static double gamma(int m) { return m * U / (1 - m * U); }

    /**
     * Largest error of an fp32 direct-form distance sum_c (z - e)^2 (ascending c, no FMA): gamma_{D+2} * d.
     * A twin using it can pick g over r only if d_g - d_r <= gamma_{D+2} (d_g + d_r).
     */
    static double directTieBound(int d, double dg, double dr) {
        return gamma(d + 2) * (dg + dr) * 1.0001 + 1e-300;
    }

    /** The expanded-form bound of cuda/vq_nearest.cu: 2 (D + 2) u (2||z||^2 + ||e_g||^2 + ||e_r||^2). */
    static double expandedTieBound(int d, double zz, double eg, double er) {
        return 2.0 * (d + 2) * U * (2 * zz + eg + er) * 1.0001 + 1e-300;
    }

    /** Outcome of comparing chosen codes with reference codes. */
    record Comparison(int mismatches, int nearTies, int failures, String firstFailure, double maxDistRelErr) {}

    /**
     * Compares {@code got} (codes for {@code vectors}) with {@code ref}: a different code is a
     * near-tie when its exact distance is within {@code expanded ? expandedTieBound : directTieBound}
     * of the reference's, else a failure. {@code gotDist} (nullable) is checked against the exact
     * distance of the chosen code; the largest relative error is returned and any error above
     * gamma_{D+2} counts as a failure.
     */
    static Comparison compare(Case c, float[] z, float[] e, int[] vectors, int[] got, float[] gotDist, int[] ref,
                              boolean expanded) {
        int mismatches = 0, nearTies = 0, failures = 0;
        String first = null;
        double maxRel = 0;
        for (int i = 0; i < vectors.length; i++) {
            int n = vectors[i];
            int g = got[i];
            if (g < 0 || g >= c.k()) {
                failures++;
                if (first == null) first = "vector " + n + ": index " + g + " outside [0, " + c.k() + ")";
                continue;
            }
            double[] zv = vector(c, z, n);
            double dg = dist(zv, e, c.d(), g);
            if (g != ref[i]) {
                mismatches++;
                double dr = dist(zv, e, c.d(), ref[i]);
                double bound = expanded ? expandedTieBound(c.d(), sq(zv), rowSq(e, c.d(), g), rowSq(e, c.d(), ref[i]))
                        : directTieBound(c.d(), dg, dr);
                if (dg - dr <= bound) {
                    nearTies++;
                } else {
                    failures++;
                    if (first == null) first = "vector " + n + ": got code " + g + " (d=" + dg + ") but code " + ref[i]
                            + " is nearer (d=" + dr + "), beyond the rounding bound " + bound;
                }
            }
            if (gotDist != null) {
                float gd = gotDist[i];
                double err = Math.abs(gd - dg);
                double rel = err / Math.max(dg, Double.MIN_NORMAL);
                if (Float.isNaN(gd)) rel = Double.POSITIVE_INFINITY;
                maxRel = Math.max(maxRel, dg == 0 && err == 0 ? 0 : rel);
                if (!(err <= gamma(c.d() + 2) * dg * 1.0001)) {
                    failures++;
                    if (first == null) first = "vector " + n + ": distance " + gd + " but exact " + dg + " for code " + g;
                }
            }
        }
        return new Comparison(mismatches, nearTies, failures, first, maxRel);
    }

    /** Gaussian z and codebook, plus z rows that sit near codebook rows so the argmin is contested. */
    static float[][] data(Case c, long seed) {
        float[] e = TestData.gaussian(seed, c.k() * c.d(), 1.0);
        float[] z = TestData.gaussian(seed + 1, c.n() * c.d(), 1.0);
        int[] pick = TestData.ints(seed + 2, c.n(), c.k());
        float[] noise = TestData.gaussian(seed + 3, c.n() * c.d(), 0.05);
        for (int n = 0; n < c.n(); n += 2) { // every other vector: a code plus small noise
            for (int i = 0; i < c.d(); i++) z[c.offset(n, i)] = e[pick[n] * c.d() + i] + noise[n * c.d() + i];
        }
        return new float[][] {z, e};
    }

    // ---- quantize ----------------------------------------------------------------------------

    /** mean over N*D of (z - e[idx])^2, in double. */
    static double loss(Case c, float[] z, float[] e, int[] idx) {
        double s = 0;
        for (int n = 0; n < c.n(); n++) {
            for (int i = 0; i < c.d(); i++) {
                double t = (double) z[c.offset(n, i)] - e[idx[n] * c.d() + i];
                s += t * t;
            }
        }
        return s / ((double) c.n() * c.d());
    }
}
