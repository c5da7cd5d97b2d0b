package io.vq4j.ops;

import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.kernels.NearestKernels;
import io.vq4j.cuda.kernels.QuantizeKernels;

/**
 * CUDA nearestCode and quantize: allocates outputs and scratch, launches the kernels of
 * cuda/vq_nearest.cu and cuda/vq_quantize.cu on the backend's stream, and turns the device status
 * words into the same {@link IllegalArgumentException}s as {@link CpuNearest}.
 *
 * <p>The status read-back (8 or 4 bytes, a synchronisation) happens only when
 * {@link CheckedOps#DATA_CHECKS} is on; otherwise nothing waits for the device, and bad data gives
 * unspecified (but in-bounds) results. Scratch is freed stream-ordered after the launches; outputs
 * are closed on every failure path, so nothing half-made escapes.
 */
final class CudaNearest {
    private CudaNearest() {}

    static NearestCode nearestCode(CudaOps ops, VqLayout g, Tensor z, Tensor codebook, boolean withDistances) {
        Cuda.Runtime rt = ops.runtime();
        int n = (int) g.n(), k = g.k();
        NearestKernels.Plan plan = NearestKernels.Plan.of(n, k, rt.context().multiprocessorCount());
        long parts = plan.partialElements(n);
        Tensor indices = null, distances = null;
        boolean ok = false;
        try (DeviceBuffer status = new DeviceBuffer(rt.stream(), 4L * NearestKernels.STATUS_WORDS);
             DeviceBuffer norms = new DeviceBuffer(rt.stream(), 4L * k);
             DeviceBuffer partValues = new DeviceBuffer(rt.stream(), 4L * parts);
             DeviceBuffer partIndices = new DeviceBuffer(rt.stream(), 4L * parts)) {
            indices = ops.empty(DType.I32, g.indexShape());
            if (withDistances) distances = ops.empty(DType.F32, g.indexShape());
            status.fill32(NearestKernels.STATUS_NONE);
            NearestKernels.codebookNorms(rt.kernels(), rt.stream(),
                    new NearestKernels.NormsParams(codebook.deviceBuffer(), norms, status, k, g.d()));
            NearestKernels.argmin(rt.kernels(), rt.stream(),
                    new NearestKernels.ArgminParams(z.deviceBuffer(), codebook.deviceBuffer(), norms, partValues,
                            partIndices, status, n, g.spatial(), g.d(), k, plan));
            NearestKernels.finalizeResult(rt.kernels(), rt.stream(),
                    new NearestKernels.FinalizeParams(z.deviceBuffer(), codebook.deviceBuffer(), partValues,
                            partIndices, indices.deviceBuffer(), distances == null ? null : distances.deviceBuffer(),
                            n, g.spatial(), g.d(), k, plan.splits()));
            if (CheckedOps.DATA_CHECKS) {
                int[] s = new int[NearestKernels.STATUS_WORDS];
                status.copyTo(s, 0, 0, s.length);
                // The codebook first, as the CPU twin checks it first.
                if (s[NearestKernels.STATUS_CODEBOOK_ROW] != NearestKernels.STATUS_NONE) {
                    throw CpuNearest.nonFiniteCodebook(s[NearestKernels.STATUS_CODEBOOK_ROW], codebook);
                }
                if (s[NearestKernels.STATUS_Z_VECTOR] != NearestKernels.STATUS_NONE) {
                    throw CpuNearest.nonFiniteZ(s[NearestKernels.STATUS_Z_VECTOR], z);
                }
            }
            NearestCode result = new NearestCode(indices, distances);
            ok = true;
            return result;
        } finally {
            if (!ok) {
                if (indices != null) indices.close();
                if (distances != null) distances.close();
            }
        }
    }

    static Quantized quantize(CudaOps ops, VqLayout g, Tensor z, Tensor codebook, Tensor indices) {
        Cuda.Runtime rt = ops.runtime();
        long numel = g.n() * g.d();
        int blocks = QuantizeKernels.gatherBlocks(numel);
        Tensor zq = null, st = null, losses = null;
        boolean ok = false;
        try (DeviceBuffer status = new DeviceBuffer(rt.stream(), 4L * QuantizeKernels.STATUS_WORDS);
             DeviceBuffer partials = new DeviceBuffer(rt.stream(), 8L * blocks)) {
            zq = ops.empty(DType.F32, z.shape());
            st = ops.empty(DType.F32, z.shape());
            losses = ops.empty(DType.F32, 2);
            status.fill32(QuantizeKernels.STATUS_NONE);
            QuantizeKernels.gather(rt.kernels(), rt.stream(),
                    new QuantizeKernels.GatherParams(z.deviceBuffer(), codebook.deviceBuffer(), indices.deviceBuffer(),
                            zq.deviceBuffer(), st.deviceBuffer(), partials, status, numel, g.spatial(), g.d(), g.k()));
            QuantizeKernels.loss(rt.kernels(), rt.stream(),
                    new QuantizeKernels.LossParams(partials, blocks, losses.deviceBuffer(), numel));
            if (CheckedOps.DATA_CHECKS) {
                int[] s = new int[QuantizeKernels.STATUS_WORDS];
                status.copyTo(s, 0, 0, s.length);
                if (s[0] != QuantizeKernels.STATUS_NONE) {
                    int[] value = new int[1];
                    indices.deviceBuffer().copyTo(value, 0, 4L * s[0], 1);
                    throw CpuNearest.badIndex(s[0], value[0], codebook);
                }
            }
            Quantized result = new Quantized(zq, st, losses);
            ok = true;
            return result;
        } finally {
            if (!ok) {
                if (zq != null) zq.close();
                if (st != null) st.close();
                if (losses != null) losses.close();
            }
        }
    }
}
