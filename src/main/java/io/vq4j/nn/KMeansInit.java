package io.vq4j.nn;

import io.vq4j.ops.DType;
import io.vq4j.ops.EmaState;
import io.vq4j.ops.NearestCode;
import io.vq4j.ops.Ops;
import io.vq4j.ops.Tensor;

/**
 * k-means initialisation of a codebook from one batch, with the VQ ops only: seed every code with
 * a batch vector (dead-code revival with all usage 0), then Lloyd iterations of
 * {@code nearestCode} (assign) and {@code emaUpdate} with decay 0 and epsilon 0 (which makes
 * e_k the mean of its vectors), reviving the clusters left empty (their mean is 0/0) from the
 * batch again. Reads back one int per iteration (the revival count); it runs once per model.
 */
final class KMeansInit {
    private KMeansInit() {}

    /**
     * Runs the iterations in place on {@code codebook}; returns the last iteration's statistics
     * (batch counts and sums per code, consistent with the codebook) for an EMA quantizer to start
     * from. The caller owns them.
     */
    static EmaState run(Ops ops, Tensor z, Tensor codebook, int iterations, long seed) {
        int k = codebook.dim(0), d = codebook.dim(1);
        Tensor size = ops.zeros(DType.F32, k);
        Tensor sum = null;
        try {
            sum = ops.zeros(DType.F32, k, d);
            EmaState stats = new EmaState(size, sum);
            // usage 0 < 1 everywhere: every code takes a batch vector
            ops.reviveDeadCodes(codebook, size, 1f, z, seed, null);
            for (int it = 0; it < iterations; it++) {
                try (NearestCode nc = ops.nearestCode(z, codebook, false)) {
                    ops.emaUpdate(z, nc.indices(), codebook, stats, 0f, 0f);
                }
                // empty clusters have size 0 (< 0.5) and a NaN mean: reseed them
                ops.reviveDeadCodes(codebook, size, 0.5f, z, seed + 1 + it, stats);
            }
            return stats;
        } catch (RuntimeException e) {
            size.close();
            if (sum != null) sum.close();
            throw e;
        }
    }
}
