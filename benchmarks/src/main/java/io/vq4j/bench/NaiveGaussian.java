package io.vq4j.bench;

import java.util.SplittableRandom;

/**
 * The plain single-thread Gaussian-latent loops the JMH benchmarks pair with vq4j's CPU twins:
 * the JDK's own normal generator and {@code Math.exp} in a for loop, the KL summed in double.
 */
final class NaiveGaussian {
    private NaiveGaussian() {}

    /** {@code z = mu + exp(logvar / 2) * eps}, eps from {@link SplittableRandom#nextGaussian()}. */
    static float[] reparameterize(float[] mu, float[] logvar, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] z = new float[mu.length];
        for (int i = 0; i < mu.length; i++) z[i] = (float) (mu[i] + Math.exp(0.5 * logvar[i]) * rng.nextGaussian());
        return z;
    }

    /** {@code -1/2 * sum(1 + logvar - mu^2 - exp(logvar))}, accumulated in double. */
    static double klSum(float[] mu, float[] logvar) {
        double s = 0;
        for (int i = 0; i < mu.length; i++) {
            double m = mu[i], lv = logvar[i];
            s += 1 + lv - m * m - Math.exp(lv);
        }
        return -0.5 * s;
    }
}
