package io.vq4j.bench;

import io.vq4j.ops.CudaOps;
import io.vq4j.ops.DType;
import io.vq4j.ops.GaussianGrads;
import io.vq4j.ops.GaussianLatentStep;
import io.vq4j.ops.KlReduction;
import io.vq4j.ops.Reparameterized;
import io.vq4j.ops.Tensor;


/**
 * The timed Gaussian-latent cases, as bench_ops.py times them: reparameterize, the KL sum, and
 * the forward + backward of both (reparameterize, klDivergence, reparameterizeBackward with
 * gradZ = 1 as from {@code z.sum()}, klBackward with weight 1). mu and logvar are standard
 * normal vectors of n elements, drawn on the device; every result is closed in the timed body.
 */
final class GaussianCases {
    private GaussianCases() {}

    static Row reparameterize(BenchContext c, Workload w, int n) {
        CudaOps gpu = c.gpu();
        try (DeviceSets sets = muLogvar(c, w, n)) {
            Tensor[] t0 = sets.get(0);
            Check check = GaussianChecks.reparameterize(gpu, c.cpu(), t0[0], t0[1], n, 42, 0);
            return c.timed(w, sets.size(), check, null, i -> {
                Tensor[] t = sets.get(i);
                gpu.reparameterize(t[0], t[1], i, 0, false).close();
            });
        }
    }

    static Row klSum(BenchContext c, Workload w, int n) {
        CudaOps gpu = c.gpu();
        try (DeviceSets sets = muLogvar(c, w, n)) {
            Tensor[] t0 = sets.get(0);
            Check check = GaussianChecks.klSum(gpu, c.cpu(), t0[0], t0[1], n);
            return c.timed(w, sets.size(), check, null, i -> {
                Tensor[] t = sets.get(i);
                gpu.klDivergence(t[0], t[1], KlReduction.SUM).close();
            });
        }
    }

    static Row reparamKlFwdBwd(BenchContext c, Workload w, int n) {
        CudaOps gpu = c.gpu();
        try (Tensor ones = gpu.empty(DType.F32, n); DeviceSets sets = muLogvar(c, w, n)) {
            ones.deviceBuffer().fill32(Float.floatToRawIntBits(1f));
            Tensor[] t0 = sets.get(0);
            Check check = GaussianChecks.reparameterize(gpu, c.cpu(), t0[0], t0[1], n, 42, 0)
                    .and(GaussianChecks.klSum(gpu, c.cpu(), t0[0], t0[1], n))
                    .and(GaussianChecks.backward(gpu, c.cpu(), t0[0], t0[1], ones, n, 42, 0));
            return c.timed(w, sets.size(), check, null, i -> {
                Tensor[] t = sets.get(i);
                fwdBwd(gpu, t[0], t[1], ones, i);
            });
        }
    }

    /** The same latent step through the two fused ops (gaussian_fused.cu), on the same inputs. */
    static Row reparamKlFwdBwdFused(BenchContext c, Workload w, int n) {
        CudaOps gpu = c.gpu();
        try (Tensor ones = gpu.empty(DType.F32, n); DeviceSets sets = muLogvar(c, w, n)) {
            ones.deviceBuffer().fill32(Float.floatToRawIntBits(1f));
            Tensor[] t0 = sets.get(0);
            Check check = GaussianChecks.fused(gpu, c.cpu(), t0[0], t0[1], ones, n, 42, 0);
            return c.timed(w, sets.size(), check, null, i -> {
                Tensor[] t = sets.get(i);
                fusedFwdBwd(gpu, t[0], t[1], ones, i);
            });
        }
    }

    @SuppressWarnings("try") // the results only need to exist, then be closed
    private static void fusedFwdBwd(CudaOps gpu, Tensor mu, Tensor logvar, Tensor ones, long seed) {
        try (GaussianLatentStep f = gpu.gaussianLatentForward(mu, logvar, seed, 0, KlReduction.SUM);
             GaussianGrads g = gpu.gaussianLatentBackward(ones, mu, logvar, seed, 0, 1f)) {
            // nothing to read: the work is queued, and closing frees the results stream-ordered
        }
    }

    /** The four ops of one VAE latent step; every result closed, also when one of them fails. */
    @SuppressWarnings("try") // the results only need to exist, then be closed
    private static void fwdBwd(CudaOps gpu, Tensor mu, Tensor logvar, Tensor ones, long seed) {
        try (Reparameterized z = gpu.reparameterize(mu, logvar, seed, 0, false);
             Tensor kl = gpu.klDivergence(mu, logvar, KlReduction.SUM);
             GaussianGrads dz = gpu.reparameterizeBackward(ones, logvar, seed, 0);
             GaussianGrads dkl = gpu.klBackward(mu, logvar, 1f)) {
            // nothing to read: the work is queued, and closing frees the results stream-ordered
        }
    }

    /** Sets of (mu, logvar), each {@code [n]} standard normal, rotated as bench_ops.py does. */
    private static DeviceSets muLogvar(BenchContext c, Workload w, int n) {
        CudaOps gpu = c.gpu();
        int count = DeviceSets.count(gpu, w.bytes(), 8L * n);
        return DeviceSets.make(count, (s, out) -> {
            out.add(gpu.standardNormal(500 + s, 0, n));
            out.add(gpu.standardNormal(600 + s, 0, n));
        });
    }
}
