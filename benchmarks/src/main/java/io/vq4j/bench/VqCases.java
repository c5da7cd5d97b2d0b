package io.vq4j.bench;

import io.vq4j.ops.CudaOps;
import io.vq4j.ops.NearestCode;
import io.vq4j.ops.Tensor;

import java.util.Map;

/**
 * The timed VQ cases, as bench_ops.py times them: the fused nearestQuantize (indices and zq;
 * PyTorch: distance matrix, argmin, gather), and the quantizer's forward + backward (nearestCode + quantize +
 * vqBackward; PyTorch: the reference VectorQuantizer and autograd). Inputs are standard normal
 * (z, and the codebook of nearest+quantize) drawn on the device; every result is closed inside
 * the timed body, as PyTorch's caching allocator gets its blocks back when the outputs die.
 */
final class VqCases {
    private VqCases() {}

    /** The reference quantizer's commitment weight. */
    static final float BETA = 0.25f;

    static Row nearestQuantize(BenchContext c, Workload w, int n, int d, int k) {
        CudaOps gpu = c.gpu();
        long setBytes = 4L * n * d + 4L * k * d;
        int count = DeviceSets.count(gpu, w.bytes(), setBytes);
        try (DeviceSets sets = DeviceSets.make(count, (s, out) -> {
            out.add(gpu.standardNormal(100 + s, 0, n, d));
            out.add(gpu.standardNormal(200 + s, 0, k, d));
        })) {
            Tensor z0 = sets.get(0)[0], e0 = sets.get(0)[1];
            Check check = VqChecks.nearestQuantize(gpu, c.cpu(), z0, e0, n, d, k)
                    .and(VqChecks.fusedNearestQuantize(gpu, z0, e0, n, d, k));
            Map<String, Object> memory = PeakMemory.nearestQuantize(gpu, z0, e0);
            // The fused op: indices and z_q, what PyTorch's side computes (distances, argmin, gather).
            return c.timed(w, sets.size(), check, memory, i -> {
                Tensor[] t = sets.get(i);
                gpu.nearestQuantize(t[0], t[1]).close();
            });
        }
    }

    /**
     * The quantizer forward + backward. One codebook for all sets (PyTorch's single module), drawn
     * as the reference draws it: uniform in [-1/K, 1/K). z and the upstream gradient rotate.
     */
    static Row quantizerFwdBwd(BenchContext c, Workload w, int n, int d, int k, boolean deterministic) {
        CudaOps gpu = c.gpu();
        long setBytes = 2 * 4L * n * d;
        int count = DeviceSets.count(gpu, w.bytes(), setBytes);
        try (Tensor codebook = gpu.upload(Tensor.of(BenchData.uniform(7, k * d, -1f / k, 1f / k), k, d));
             DeviceSets sets = DeviceSets.make(count, (s, out) -> {
                 out.add(gpu.standardNormal(300 + s, 0, n, d));
                 out.add(gpu.standardNormal(400 + s, 0, n, d));
             })) {
            Tensor z0 = sets.get(0)[0], g0 = sets.get(0)[1];
            Check check = VqChecks.nearestQuantize(gpu, c.cpu(), z0, codebook, n, d, k)
                    .and(VqChecks.backward(gpu, c.cpu(), g0, z0, codebook, n, d, k, BETA, deterministic));
            return c.timed(w, sets.size(), check, Map.of("deterministic", deterministic), i -> {
                Tensor[] t = sets.get(i);
                forward(gpu, t[0], codebook, t[1], deterministic);
            });
        }
    }

    /** nearestCode, quantize and, when {@code gradOut} is given, vqBackward; every result closed. */
    private static void forward(CudaOps gpu, Tensor z, Tensor codebook, Tensor gradOut, boolean deterministic) {
        NearestCode nc = gpu.nearestCode(z, codebook, false);
        try {
            gpu.quantize(z, codebook, nc.indices()).close();
            if (gradOut != null) gpu.vqBackward(gradOut, z, codebook, nc.indices(), BETA, deterministic).close();
        } finally {
            nc.close();
        }
    }
}
