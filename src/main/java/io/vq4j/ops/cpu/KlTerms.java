package io.vq4j.ops.cpu;

import static io.vq4j.ops.cpu.Fp32Exp.LN2_HI;
import static io.vq4j.ops.cpu.Fp32Exp.LN2_LO;
import static io.vq4j.ops.cpu.Fp32Exp.LOG2E;

/**
 * Sums of the KL term {@code t = mu^2 + (expm1(logvar) - logvar)} (>= 0) over a range, fast: the
 * CPU side of cuda/gaussian_kl.cu's per-element term, summed in double.
 *
 * <h2>Why not Math.expm1</h2>
 * Math.expm1 is a scalar library call (~30 ns here): 4M elements took ~90 ms on two cores. Here
 * the term is evaluated in fp32 with polynomials in loops that C2 turns into 8-wide AVX code
 * (~1-2 ns an element), and summed in double. Loops are split where C2 would not vectorise one
 * (the float-to-int-to-float-bits chain of the exponent scaling is its own loop over a scratch
 * array), and blocks are copied to scratch arrays so every loop indexes its arrays from 0.
 *
 * <h2>Accuracy (fp32 with u = 2^-24; the double reference is what the tests compare against)</h2>
 * With f(x) = expm1(x) - x = x^2 Q(x), Q(x) = sum_n x^n / (n + 2)!:
 * <ul>
 * <li>k = round(x log2 e) in [-1, 2], i.e. x in about [-1.04, 1.73): f = x^2 Q(x), Q by Horner of
 *     degree 12 (truncation below 1e-8 relative). No cancellation at x = 0 (the point of the
 *     formula); for x &lt; 0 the alternating series has condition Q(|x|)/Q(x) &lt; 2.2, so f is
 *     within about 6 u.</li>
 * <li>the rest of [-87, 87]: f = (2^k e^r - 1) - x, x = k ln2 + r (Cody-Waite), |r| <= ln2/2,
 *     e^r by Horner of degree 7 (truncation 5e-9); the subtraction amplifies e^x's error by
 *     e^x / f &lt; 2 on these ranges: within about 6 u.</li>
 * <li>Elsewhere (|x| large, NaN): the scalar double {@code Math.expm1(x) - x} in the summing loop.</li>
 * </ul>
 * The term {@code fma(mu, mu, f)} adds two non-negative values: its relative error is at most
 * f's plus u. Every term is non-negative, so a sum keeps the terms' relative error: about
 * 4e-7 at worst, against the 1e-6 relative the twin promises; typically far less.
 */
public final class KlTerms {
    private KlTerms() {}

    /** Elements per block: scratch arrays stay in L1. */
    static final int BLOCK = 512;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        final float[] lv = new float[BLOCK], mu = new float[BLOCK], scale = new float[BLOCK], t = new float[BLOCK];
        final float[] kf = new float[BLOCK], w = new float[BLOCK], v = new float[BLOCK];
        final float[] viaExp = new float[BLOCK], series = new float[BLOCK];
        final int[] k = new int[BLOCK];
        final double[] lanes = new double[BLOCK];
    }

    /** Outside [LO, HI] the scalar double path takes over (e^x near float's range ends). */
    static final float LO = -87f, HI = 87f;

    /** sum over [from, to) of mu^2 + (expm1(logvar) - logvar), terms in fp32, the sum in double. */
    public static double sum(float[] m, float[] logvar, int from, int to) {
        Scratch s = SCRATCH.get();
        float[] lv = s.lv, mu = s.mu, scale = s.scale, t = s.t, kf = s.kf, w = s.w, v = s.v;
        float[] viaExp = s.viaExp, series = s.series;
        int[] k = s.k;
        double[] lanes = s.lanes;
        double acc = 0;
        for (int b = from; b < to; b += BLOCK) {
            int n = Math.min(BLOCK, to - b);
            System.arraycopy(logvar, b, lv, 0, n);
            System.arraycopy(m, b, mu, 0, n);
            float amax = 0;
            for (int j = 0; j < n; j++) amax = Math.max(amax, Math.abs(lv[j])); // NaN stays NaN
            // k = round(x log2 e) (x clamped; +128.5 keeps the truncation a rounding).
            for (int j = 0; j < n; j++) {
                float x = Math.min(Math.max(lv[j], LO), HI);
                k[j] = (int) (x * LOG2E + 128.5f) - 128;
            }
            for (int j = 0; j < n; j++) kf[j] = k[j];
            // w = 0 where k is in [-1, 2], i.e. x in about [-1.04, 1.73) (the series), 1 elsewhere: no branch.
            for (int j = 0; j < n; j++) {
                int kk = k[j];
                w[j] = Math.min(1, Math.max(0, -1 - kk) + Math.max(0, kk - 2));
            }
            for (int j = 0; j < n; j++) k[j] = (k[j] + 127) << 23; // the bits of 2^k
            for (int j = 0; j < n; j++) scale[j] = Float.intBitsToFloat(k[j]);
            for (int j = 0; j < n; j++) v[j] = 1f - w[j];
            // Separate loops for the two forms and the pick: as one loop C2 gave up vectorising it.
            for (int j = 0; j < n; j++) { // (2^k e^r - 1) - x
                float xc = Math.min(Math.max(lv[j], LO), HI);
                float r = Math.fma(-kf[j], LN2_HI, xc);
                r = Math.fma(-kf[j], LN2_LO, r);
                float p = Math.fma(r, 1f / 5040, 1f / 720);
                p = Math.fma(p, r, 1f / 120);
                p = Math.fma(p, r, 1f / 24);
                p = Math.fma(p, r, 1f / 6);
                p = Math.fma(p, r, 0.5f);
                p = Math.fma(p, r, 1f);
                p = Math.fma(p, r, 1f);
                viaExp[j] = (p * scale[j] - 1f) - xc;
            }
            for (int j = 0; j < n; j++) { // x^2 Q(x)
                float xc = Math.min(Math.max(lv[j], LO), HI);
                float q = Math.fma(xc, 1f / 87178291200f, 1f / 6227020800f);
                q = Math.fma(q, xc, 1f / 479001600f);
                q = Math.fma(q, xc, 1f / 39916800f);
                q = Math.fma(q, xc, 1f / 3628800f);
                q = Math.fma(q, xc, 1f / 362880f);
                q = Math.fma(q, xc, 1f / 40320f);
                q = Math.fma(q, xc, 1f / 5040f);
                q = Math.fma(q, xc, 1f / 720f);
                q = Math.fma(q, xc, 1f / 120f);
                q = Math.fma(q, xc, 1f / 24f);
                q = Math.fma(q, xc, 1f / 6f);
                q = Math.fma(q, xc, 0.5f);
                series[j] = q * xc * xc;
            }
            for (int j = 0; j < n; j++) {
                // An exact pick: w and v are 0 and 1 (or 1 and 0) and both forms are finite.
                float f = w[j] * viaExp[j] + v[j] * series[j];
                t[j] = Math.fma(mu[j], mu[j], f);
            }
            if (amax <= HI) {
                // Lane j of every block adds into lanes[j] (in double): a vectorised add, not a scalar chain.
                for (int j = 0; j < n; j++) lanes[j] += t[j];
            } else { // a logvar out of [LO, HI], or NaN: per element, in order
                for (int j = 0; j < n; j++) acc += termOrDouble(t[j], lv[j], mu[j]);
            }
        }
        return finish(acc, lanes, m, logvar, from, to);
    }

    /**
     * The fp32 term of one element exactly as {@link #sum}'s loops compute it (lane for lane):
     * for the Vector API implementation's tails. Logvar outside [LO, HI] gives the clamped value,
     * which {@link #sum} never uses (it takes the double formula there).
     */
    static float term(float logvar, float mu) {
        float x = Math.min(Math.max(logvar, LO), HI);
        int k = Fp32Exp.exponent(x);
        float viaExp = (Fp32Exp.exp(x) - 1f) - x;
        float q = Math.fma(x, 1f / 87178291200f, 1f / 6227020800f);
        q = Math.fma(q, x, 1f / 479001600f);
        q = Math.fma(q, x, 1f / 39916800f);
        q = Math.fma(q, x, 1f / 3628800f);
        q = Math.fma(q, x, 1f / 362880f);
        q = Math.fma(q, x, 1f / 40320f);
        q = Math.fma(q, x, 1f / 5040f);
        q = Math.fma(q, x, 1f / 720f);
        q = Math.fma(q, x, 1f / 120f);
        q = Math.fma(q, x, 1f / 24f);
        q = Math.fma(q, x, 1f / 6f);
        q = Math.fma(q, x, 0.5f);
        float series = q * x * x;
        return Math.fma(mu, mu, k < -1 || k > 2 ? viaExp : series);
    }

    /**
     * The end of {@link #sum} for the vector implementation: the lanes' sum plus {@code acc}, lanes
     * cleared, and the double redo of [from, to) when an fp32 term overflowed.
     */
    static double finish(double acc, double[] lanes, float[] m, float[] logvar, int from, int to) {
        acc += fastSum(lanes, BLOCK);
        java.util.Arrays.fill(lanes, 0);
        if (acc == Double.POSITIVE_INFINITY) {
            acc = 0;
            for (int i = from; i < to; i++) {
                double mm = m[i], x = logvar[i];
                acc += mm * mm + (Math.expm1(x) - x);
            }
        }
        return acc;
    }

    /** {@link #sum}'s per-element path for a block holding a logvar out of [LO, HI] or NaN. */
    static double termOrDouble(float t, float logvar, float mu) {
        if (logvar >= LO && logvar <= HI && t < Float.POSITIVE_INFINITY) return t;
        double m = mu;
        return m * m + (Math.expm1(logvar) - logvar);
    }

    /** sum of t[0, n) in double, eight independent accumulators (a fixed order: deterministic). */
    private static double fastSum(double[] t, int n) {
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        int j = 0;
        for (; j + 8 <= n; j += 8) {
            a0 += t[j]; a1 += t[j + 1]; a2 += t[j + 2]; a3 += t[j + 3];
            a4 += t[j + 4]; a5 += t[j + 5]; a6 += t[j + 6]; a7 += t[j + 7];
        }
        for (; j < n; j++) a0 += t[j];
        return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
    }
}
