package io.vq4j.model.train;

import io.vq4j.model.StepResult;

/**
 * The trainer's bookkeeping as it was before the sums moved to the device: every step read back
 * and added on the host. The tests hold {@link EpochSums} (host and device) to these bits.
 */
final class StepSumsReference {
    long steps;
    double total, recon, codebook, commitment, kl, firstTotal = Double.NaN;
    long badStep = -1;
    double badValue = Double.NaN;
    long[] counts;
    boolean hasVq, hasKl;

    void add(StepResult r, boolean reconIsSum, long elements) {
        double t = r.totalValue();
        if (!Double.isFinite(t) && badStep < 0) {
            badStep = steps;
            badValue = t;
        }
        if (steps == 0) firstTotal = t;
        steps++;
        total += t;
        double rv = r.reconstructionValue();
        recon += reconIsSum ? rv / elements : rv;
        if (r.vqLosses() != null) {
            float[] v = r.vqLosses().toFloatArray();
            codebook += v[0];
            commitment += v[1];
            hasVq = true;
        }
        if (r.kl() != null) {
            kl += r.kl().item();
            hasKl = true;
        }
        if (r.codeCounts() != null) {
            int[] c = r.codeCounts().toIntArray();
            if (counts == null) counts = new long[c.length];
            for (int i = 0; i < c.length; i++) counts[i] += c[i];
        }
    }

    /** Asserts {@code s} has exactly these sums (bit for bit). */
    void assertSame(EpochSums.Snapshot s, String what) {
        org.junit.jupiter.api.Assertions.assertEquals(steps, s.steps(), what + ": steps");
        same(total, s.total(), what + ": total");
        same(recon, s.recon(), what + ": recon");
        same(hasVq ? codebook : 0, s.codebook(), what + ": codebook");
        same(hasVq ? commitment : 0, s.commitment(), what + ": commitment");
        same(hasKl ? kl : 0, s.kl(), what + ": kl");
        same(firstTotal, s.firstTotal(), what + ": first total");
        org.junit.jupiter.api.Assertions.assertEquals(badStep, s.badStep(), what + ": bad step");
        same(badValue, s.badValue(), what + ": bad value");
        org.junit.jupiter.api.Assertions.assertEquals(hasVq, s.hasVq(), what + ": hasVq");
        org.junit.jupiter.api.Assertions.assertEquals(hasKl, s.hasKl(), what + ": hasKl");
        org.junit.jupiter.api.Assertions.assertArrayEquals(counts, s.codeCounts(), what + ": code counts");
    }

    private static void same(double want, double got, String what) {
        org.junit.jupiter.api.Assertions.assertEquals(Double.doubleToLongBits(want), Double.doubleToLongBits(got),
                what + ": want " + want + ", got " + got);
    }
}
