package io.vq4j.bench;

import io.vq4j.ops.CpuOps;
import io.vq4j.ops.NearestCode;
import io.vq4j.ops.NearestQuantized;
import io.vq4j.ops.Ops;
import io.vq4j.ops.Quantized;
import io.vq4j.ops.Tensor;
import io.vq4j.ops.VqGrads;

import java.util.Arrays;

/**
 * Correctness of the VQ ops on the benchmark's own inputs, before they are timed: the GPU result
 * against the CPU twin and against sums in double. z is rows {@code [N, D]}. {@code gpu} is any
 * backend (the tests check these checks with the CPU in its place).
 */
final class VqChecks {
    private VqChecks() {}

    /** Vectors checked against the CPU twin's nearest code (the CPU search is O(rows * K * D)). */
    static final int CHECK_ROWS = 4096;

    /**
     * nearestCode + quantize. On the first {@link #CHECK_ROWS} vectors: the GPU's code must be as
     * near as the CPU twin's (double distances within 1e-5 relative, plus 1e-6 of the squared
     * norms: indices may differ on near-ties), its distance output close to the double distance, zq the chosen row exactly and
     * the straight-through output z + (zq - z). Every index must be in [0, K); both losses must
     * match the double mean of (z - e[idx])^2 over all N*D elements within 1e-5.
     */
    static Check nearestQuantize(Ops gpu, CpuOps cpu, Tensor z, Tensor codebook, int n, int d, int k) {
        int rows = Math.min(n, CHECK_ROWS);
        float[] zh = z.toFloatArray(), e = codebook.toFloatArray();
        int[] idx;
        float[] dist, zq, st, losses;
        try (NearestCode g = gpu.nearestCode(z, codebook, true)) {
            idx = g.indices().toIntArray();
            dist = Slices.floats(g.distances(), 0, rows);
            for (int i = 0; i < n; i++) { // before quantize, which must not be fed a bad index
                if (idx[i] < 0 || idx[i] >= k) return Check.fail("index " + i + " = " + idx[i] + " outside [0, " + k + ")");
            }
            try (Quantized q = gpu.quantize(z, codebook, g.indices())) {
                zq = Slices.floats(q.zq(), 0, rows * d);
                st = Slices.floats(q.straightThrough(), 0, rows * d);
                losses = q.losses().toFloatArray();
            }
        }
        int[] cpuIdx;
        try (NearestCode c = cpu.nearestCode(Tensor.of(Arrays.copyOf(zh, rows * d), rows, d), Tensor.of(e, k, d), false)) {
            cpuIdx = c.indices().toIntArray();
        }
        Errors near = new Errors("distance to the chosen code vs cpu twin's");
        Errors distOut = new Errors("distances output");
        Errors gather = new Errors("zq");
        Errors straight = new Errors("straight-through");
        int differ = 0;
        for (int r = 0; r < rows; r++) {
            double dg = dist2(zh, r, e, idx[r], d), dc = dist2(zh, r, e, cpuIdx[r], d);
            double nz = dist2(zh, r, null, 0, d), ne = dist2(e, idx[r], null, 0, d);
            if (idx[r] != cpuIdx[r]) differ++;
            // Searching on ||z||^2 - 2 z.e + ||e||^2 in float resolves distances to a few ulp of the
            // norms, not of the distance: a near-tie below that may go either way (D = 4, tiny distances).
            double normUlps = 1e-6 * (nz + Math.max(ne, dist2(e, cpuIdx[r], null, 0, d)));
            near.add(r, dg, dc, 1e-5 * Math.max(dg, dc) + normUlps);
            distOut.add(r, dist[r], dg, 1e-5 * (nz + ne) + 1e-6);
            for (int j = 0; j < d; j++) {
                float zv = zh[r * d + j], ev = e[idx[r] * d + j];
                gather.add((long) r * d + j, zq[r * d + j], ev, 0);
                straight.add((long) r * d + j, st[r * d + j], zv + (ev - zv), 1e-6 * (Math.abs(zv) + Math.abs(ev)));
            }
        }
        double loss = 0;
        for (int i = 0; i < n; i++) loss += dist2(zh, i, e, idx[i], d);
        loss /= (double) n * d;
        Errors lossErr = new Errors("losses vs double");
        lossErr.add(0, losses[0], loss, 1e-5 * loss);
        lossErr.add(1, losses[1], loss, 1e-5 * loss);
        Check c = near.check().and(distOut.check()).and(gather.check()).and(straight.check()).and(lossErr.check());
        return new Check(c.ok(), "rows 0.." + (rows - 1) + ": " + differ + " indices differ from the cpu twin (near-ties); "
                + c.detail());
    }

    /**
     * The fused nearestQuantize against the same backend's nearestCode: every index equal (the
     * same search runs in both), and on the first {@link #CHECK_ROWS} vectors zq exactly the chosen
     * codebook rows. Combined with {@link #nearestQuantize}, which holds nearestCode to the CPU
     * twin and the double distances, this checks the fused op end to end.
     */
    static Check fusedNearestQuantize(Ops gpu, Tensor z, Tensor codebook, int n, int d, int k) {
        int rows = Math.min(n, CHECK_ROWS);
        float[] e = codebook.toFloatArray();
        int[] idx, fused;
        float[] zq;
        try (NearestCode g = gpu.nearestCode(z, codebook, false)) {
            idx = g.indices().toIntArray();
        }
        try (NearestQuantized q = gpu.nearestQuantize(z, codebook)) {
            fused = q.indices().toIntArray();
            zq = Slices.floats(q.zq(), 0, rows * d);
        }
        for (int i = 0; i < n; i++) {
            if (fused[i] != idx[i]) {
                return Check.fail("nearestQuantize index " + i + " = " + fused[i] + " but nearestCode gives " + idx[i]);
            }
        }
        Errors gather = new Errors("fused zq");
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < d; j++) gather.add((long) r * d + j, zq[r * d + j], e[idx[r] * d + j], 0);
        }
        Check c = gather.check();
        return new Check(c.ok(), "nearestQuantize: all " + n + " indices equal nearestCode's; " + c.detail());
    }

    /**
     * vqBackward on the GPU's own indices against the CPU twin given the same indices (so ties
     * cannot matter): gradZ within 1e-6, the codebook gradient within 1e-5 (relative, plus that
     * fraction of the largest value), counts exactly.
     */
    static Check backward(Ops gpu, CpuOps cpu, Tensor gradOut, Tensor z, Tensor codebook, int n, int d, int k,
                          float beta, boolean deterministic) {
        int[] idx, counts;
        float[] gz, gcb;
        try (NearestCode nc = gpu.nearestCode(z, codebook, false)) {
            idx = nc.indices().toIntArray();
            try (VqGrads g = gpu.vqBackward(gradOut, z, codebook, nc.indices(), beta, deterministic)) {
                gz = g.gradZ().toFloatArray();
                gcb = g.gradCodebook().toFloatArray();
                counts = g.counts().toIntArray();
            }
        }
        try (VqGrads ref = cpu.vqBackward(Tensor.of(gradOut.toFloatArray(), n, d), Tensor.of(z.toFloatArray(), n, d),
                Tensor.of(codebook.toFloatArray(), k, d), Tensor.ofInts(idx, n), beta, true)) {
            float[] rz = ref.gradZ().hostFloats(), rcb = ref.gradCodebook().hostFloats();
            int[] rc = ref.counts().hostInts();
            Check c = new Errors("gradZ").addAll(0, gz, rz, 1e-6, 1e-6 * Errors.maxAbs(rz)).check()
                    .and(new Errors("gradCodebook").addAll(0, gcb, rcb, 1e-5, 1e-5 * Errors.maxAbs(rcb)).check());
            if (!Arrays.equals(counts, rc)) {
                int i = Arrays.mismatch(counts, rc);
                return Check.fail("counts[" + i + "] = " + counts[i] + ", cpu twin " + rc[i] + "; " + c.detail());
            }
            return new Check(c.ok(), "vqBackward(deterministic=" + deterministic + ") vs cpu twin: " + c.detail()
                    + "; counts equal");
        }
    }

    /** {@code ||a_i - b_j||^2} in double over rows of length d; {@code ||a_i||^2} when b is null. */
    static double dist2(float[] a, int i, float[] b, int j, int d) {
        double s = 0;
        long ao = (long) i * d, bo = (long) j * d;
        for (int t = 0; t < d; t++) {
            double x = a[(int) (ao + t)] - (b == null ? 0.0 : b[(int) (bo + t)]);
            s += x * x;
        }
        return s;
    }
}
