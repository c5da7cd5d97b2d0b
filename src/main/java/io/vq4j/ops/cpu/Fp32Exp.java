package io.vq4j.ops.cpu;

/**
 * The fp32 exponential every CPU kernel uses (KL, reparameterize), in one place: Cody-Waite range
 * reduction x = k ln2 + r with the split of ln 2 from Cephes' expf (k * LN2_HI is exact for
 * |k| < 2^9), then a degree-7 Taylor polynomial of e^r, times 2^k built from its bits. The block
 * loops of {@link KlTerms} and {@link ReparamBlocks} spell the same steps out lane by lane (so
 * C2 vectorises them); {@link #exp} is the one-element form their tails and the Vector API
 * implementation's tails use, and {@link VectorExp} the vector form: all give the same bits.
 */
final class Fp32Exp {
    private Fp32Exp() {}

    static final float LOG2E = 1.44269504f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;

    /** k = round(x log2 e), by truncation after +128.5 (valid for |x| <= 87). */
    static int exponent(float x) {
        return (int) (x * LOG2E + 128.5f) - 128;
    }

    /** e^x for |x| <= 87, as the block loops compute it: {@code p * 2^k}. */
    static float exp(float x) {
        int k = exponent(x);
        float kf = k;
        float r = Math.fma(-kf, LN2_HI, x);
        r = Math.fma(-kf, LN2_LO, r);
        float p = Math.fma(r, 1f / 5040, 1f / 720);
        p = Math.fma(p, r, 1f / 120);
        p = Math.fma(p, r, 1f / 24);
        p = Math.fma(p, r, 1f / 6);
        p = Math.fma(p, r, 0.5f);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        return p * Float.intBitsToFloat((k + 127) << 23);
    }
}
