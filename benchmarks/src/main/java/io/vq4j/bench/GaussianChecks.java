package io.vq4j.bench;

import io.vq4j.ops.CpuOps;
import io.vq4j.ops.GaussianGrads;
import io.vq4j.ops.GaussianLatentStep;
import io.vq4j.ops.KlReduction;
import io.vq4j.ops.Ops;
import io.vq4j.ops.Reparameterized;
import io.vq4j.ops.Tensor;
import io.vq4j.ops.cpu.Philox;

import java.util.Arrays;

/**
 * Correctness of the Gaussian-latent ops on the benchmark's own inputs (1-D, n elements), before
 * they are timed. The huge cases are checked on a head slice against the CPU twin, and
 * reparameterize also on a tail slice against the formula in double with the noise from
 * {@link Philox} (the generator's definition), so an indexing bug past 2^31 bytes shows.
 */
final class GaussianChecks {
    private GaussianChecks() {}

    /** Elements compared against the CPU twin at each end. */
    static final int SLICE = 1 << 20;

    static Check reparameterize(Ops gpu, CpuOps cpu, Tensor mu, Tensor logvar, long n, long seed, long offset) {
        int m = (int) Math.min(n, SLICE);
        long tail = n - m;
        float[] muH = Slices.floats(mu, 0, m), lvH = Slices.floats(logvar, 0, m);
        float[] muT = Slices.floats(mu, tail, m), lvT = Slices.floats(logvar, tail, m);
        float[] zH, zT;
        try (Reparameterized r = gpu.reparameterize(mu, logvar, seed, offset, false)) {
            zH = Slices.floats(r.z(), 0, m);
            zT = Slices.floats(r.z(), tail, m);
        }
        Errors head = new Errors("z head vs cpu twin");
        try (Reparameterized c = cpu.reparameterize(Tensor.of(muH, m), Tensor.of(lvH, m), seed, offset, false)) {
            float[] ref = c.z().hostFloats();
            for (int i = 0; i < m; i++) head.add(i, zH[i], ref[i], zTol(muH[i], lvH[i], ref[i]));
        }
        float[] eps = new float[m];
        Philox.normals(seed, offset, tail, eps, 0, m);
        Errors end = new Errors("z tail vs double formula");
        for (int i = 0; i < m; i++) {
            double ref = muT[i] + Math.exp(0.5 * lvT[i]) * eps[i];
            end.add(tail + i, zT[i], ref, zTol(muT[i], lvT[i], ref));
        }
        return head.check().and(end.check());
    }

    /** The noise is reproduced to ~2e-6 and the product rounds in float: a few 1e-6 of the terms. */
    private static double zTol(float mu, float logvar, double z) {
        return 1e-5 * (Math.abs(mu) + Math.abs(z) + Math.exp(0.5 * logvar));
    }

    /** KL SUM over all n elements against the CPU twin (fp64 throughout), within 1e-5 relative. */
    static Check klSum(Ops gpu, CpuOps cpu, Tensor mu, Tensor logvar, int n) {
        float got;
        try (Tensor k = gpu.klDivergence(mu, logvar, KlReduction.SUM)) {
            got = k.item();
        }
        float ref;
        try (Tensor k = cpu.klDivergence(Tensor.of(mu.toFloatArray(), n), Tensor.of(logvar.toFloatArray(), n), KlReduction.SUM)) {
            ref = k.item();
        }
        Errors e = new Errors("kl sum vs cpu twin");
        e.add(0, got, ref, 1e-5 * Math.abs(ref));
        return e.check();
    }

    /**
     * The backward ops of the fwd+bwd case on a head slice against the CPU twin:
     * reparameterizeBackward (gradZ = ones, noise regenerated) and klBackward (weight 1).
     */
    static Check backward(Ops gpu, CpuOps cpu, Tensor mu, Tensor logvar, Tensor ones, long n, long seed, long offset) {
        int m = (int) Math.min(n, SLICE);
        float[] muH = Slices.floats(mu, 0, m), lvH = Slices.floats(logvar, 0, m), onesH = new float[m];
        Arrays.fill(onesH, 1f);
        float[] rMu, rLv, kMu, kLv;
        try (GaussianGrads r = gpu.reparameterizeBackward(ones, logvar, seed, offset);
             GaussianGrads k = gpu.klBackward(mu, logvar, 1f)) {
            rMu = Slices.floats(r.dMu(), 0, m);
            rLv = Slices.floats(r.dLogvar(), 0, m);
            kMu = Slices.floats(k.dMu(), 0, m);
            kLv = Slices.floats(k.dLogvar(), 0, m);
        }
        try (GaussianGrads r = cpu.reparameterizeBackward(Tensor.of(onesH, m), Tensor.of(lvH, m), seed, offset);
             GaussianGrads k = cpu.klBackward(Tensor.of(muH, m), Tensor.of(lvH, m), 1f)) {
            float[] crLv = r.dLogvar().hostFloats(), ckLv = k.dLogvar().hostFloats();
            return new Errors("reparam dMu").addAll(0, rMu, r.dMu().hostFloats(), 0, 0).check()
                    .and(new Errors("reparam dLogvar").addAll(0, rLv, crLv, 1e-5, 1e-6 * Errors.maxAbs(crLv)).check())
                    .and(new Errors("kl dMu").addAll(0, kMu, k.dMu().hostFloats(), 1e-6, 0).check())
                    .and(new Errors("kl dLogvar").addAll(0, kLv, ckLv, 1e-5, 1e-6 * Errors.maxAbs(ckLv)).check());
        }
    }

    /**
     * The fused latent step (gaussianLatentForward SUM, gaussianLatentBackward with gradZ = ones,
     * weight 1) against its CPU twin: z and both gradients on a head slice, the KL over all n.
     */
    static Check fused(Ops gpu, CpuOps cpu, Tensor mu, Tensor logvar, Tensor ones, int n, long seed, long offset) {
        int m = Math.min(n, SLICE);
        float[] muH = Slices.floats(mu, 0, m), lvH = Slices.floats(logvar, 0, m), onesH = new float[m];
        Arrays.fill(onesH, 1f);
        float[] z, dMu, dLv;
        float kl;
        try (GaussianLatentStep f = gpu.gaussianLatentForward(mu, logvar, seed, offset, KlReduction.SUM);
             GaussianGrads g = gpu.gaussianLatentBackward(ones, mu, logvar, seed, offset, 1f)) {
            z = Slices.floats(f.z(), 0, m);
            kl = f.kl().item();
            dMu = Slices.floats(g.dMu(), 0, m);
            dLv = Slices.floats(g.dLogvar(), 0, m);
        }
        float klRef;
        try (GaussianLatentStep c = cpu.gaussianLatentForward(Tensor.of(mu.toFloatArray(), n), Tensor.of(logvar.toFloatArray(), n),
                seed, offset, KlReduction.SUM)) {
            klRef = c.kl().item();
        }
        Errors k = new Errors("fused kl sum vs cpu twin");
        k.add(0, kl, klRef, 1e-5 * Math.abs(klRef));
        try (GaussianLatentStep c = cpu.gaussianLatentForward(Tensor.of(muH, m), Tensor.of(lvH, m), seed, offset, KlReduction.SUM);
             GaussianGrads g = cpu.gaussianLatentBackward(Tensor.of(onesH, m), Tensor.of(muH, m), Tensor.of(lvH, m), seed, offset, 1f)) {
            float[] zRef = c.z().hostFloats(), lvRef = g.dLogvar().hostFloats();
            Errors ez = new Errors("fused z head vs cpu twin");
            for (int i = 0; i < m; i++) ez.add(i, z[i], zRef[i], zTol(muH[i], lvH[i], zRef[i]));
            return ez.check().and(k.check())
                    .and(new Errors("fused dMu").addAll(0, dMu, g.dMu().hostFloats(), 1e-6, 1e-7).check())
                    .and(new Errors("fused dLogvar").addAll(0, dLv, lvRef, 1e-5, 1e-6 * Errors.maxAbs(lvRef)).check());
        }
    }
}
