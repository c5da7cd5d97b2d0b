package io.vq4j.ops;

import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.kernels.NearestKernels;
import io.vq4j.cuda.kernels.NearestSmallKernels;
import io.vq4j.cuda.kernels.NearestTcKernels;
import io.vq4j.cuda.kernels.QuantizeKernels;

/**
 * CUDA nearestCode, nearestQuantize and quantize: allocates outputs and scratch, launches the
 * kernels of cuda/vq_nearest.cu, vq_nearest_tc.cu, vq_nearest_small.cu (the search {@link #path}
 * picks; all give the same indices) and cuda/vq_quantize.cu on the backend's stream, and turns the
 * device status words into the same {@link IllegalArgumentException}s as {@link CpuNearest}.
 *
 * <p>The status read-back (8 or 4 bytes, a synchronisation) happens only when
 * {@link CheckedOps#DATA_CHECKS} is on; otherwise nothing waits for the device, and bad data gives
 * unspecified (but in-bounds) results. Scratch is freed stream-ordered after the launches; outputs
 * are closed on every failure path, so nothing half-made escapes.
 */
final class CudaNearest {
    private CudaNearest() {}

    /** The kernels one search runs; {@link #path} picks them. */
    enum Path { FP32, TF32_RERANK, SMALL_D }

    /**
     * The search for this shape on this GPU under {@code mode} (the rule is {@link NearestSearch#AUTO}'s;
     * a forced mode the shape or GPU cannot run becomes FP32).
     */
    static Path path(NearestSearch mode, VqLayout g, int computeCapabilityMajor, int multiprocessors) {
        boolean small = NearestSmallKernels.supports(g.d(), g.k());
        boolean tc = NearestTcKernels.supports(computeCapabilityMajor, g.d());
        return switch (mode) {
            case FP32 -> Path.FP32;
            case SMALL_D -> small ? Path.SMALL_D : Path.FP32;
            case TF32_RERANK -> tc ? Path.TF32_RERANK : Path.FP32;
            case AUTO -> {
                if (small) yield Path.SMALL_D;
                long blocks = (g.n() + NearestTcKernels.BLOCK_VECTORS - 1) / NearestTcKernels.BLOCK_VECTORS;
                if (tc && g.d() >= 16 && blocks >= multiprocessors) yield Path.TF32_RERANK;
                yield Path.FP32;
            }
        };
    }

    static NearestCode nearestCode(CudaOps ops, VqLayout g, Tensor z, Tensor codebook, boolean withDistances) {
        Tensor indices = null, distances = null;
        boolean ok = false;
        try {
            indices = ops.empty(DType.I32, g.indexShape());
            if (withDistances) distances = ops.empty(DType.F32, g.indexShape());
            search(ops, g, z, codebook, indices.deviceBuffer(), distances == null ? null : distances.deviceBuffer(), null);
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

    /** The search with the gather fused into its last kernel: zq is written where the winner is known. */
    static NearestQuantized nearestQuantize(CudaOps ops, VqLayout g, Tensor z, Tensor codebook) {
        Tensor indices = null, zq = null;
        boolean ok = false;
        try {
            indices = ops.empty(DType.I32, g.indexShape());
            zq = ops.empty(DType.F32, z.shape());
            search(ops, g, z, codebook, indices.deviceBuffer(), null, zq.deviceBuffer());
            NearestQuantized result = new NearestQuantized(indices, zq);
            ok = true;
            return result;
        } finally {
            if (!ok) {
                if (indices != null) indices.close();
                if (zq != null) zq.close();
            }
        }
    }

    /**
     * Writes indices (and distances, zq when not null) with the path {@link #path} picks; scratch
     * is freed stream-ordered on every path; throws on the status words when data checks are on.
     */
    private static void search(CudaOps ops, VqLayout g, Tensor z, Tensor codebook, DeviceBuffer indices,
                               DeviceBuffer distances, DeviceBuffer zq) {
        Cuda.Runtime rt = ops.runtime();
        var ctx = rt.context();
        int n = (int) g.n(), k = g.k(), d = g.d(), sp = g.spatial();
        Path path = path(ops.nearestSearch(), g, ctx.computeCapabilityMajor(), ctx.multiprocessorCount());
        try (DeviceBuffer status = new DeviceBuffer(rt.stream(), 4L * NearestKernels.STATUS_WORDS)) {
            // the status words are read only with data checks on; otherwise the kernels' flags land unread
            if (CheckedOps.DATA_CHECKS) status.fill32(NearestKernels.STATUS_NONE);
            switch (path) {
                case SMALL_D -> NearestSmallKernels.search(rt.kernels(), rt.stream(),
                        new NearestSmallKernels.Params(z.deviceBuffer(), codebook.deviceBuffer(), indices, distances, zq,
                                status, n, sp, d, k));
                case TF32_RERANK -> {
                    try (DeviceBuffer norms = new DeviceBuffer(rt.stream(), 4L * k);
                         DeviceBuffer list = new DeviceBuffer(rt.stream(), 4L * n);
                         DeviceBuffer listCount = new DeviceBuffer(rt.stream(), 4L)) {
                        listCount.fill32(0);
                        NearestKernels.codebookNorms(rt.kernels(), rt.stream(),
                                new NearestKernels.NormsParams(codebook.deviceBuffer(), norms, status, k, d));
                        NearestTcKernels.search(rt.kernels(), rt.stream(),
                                new NearestTcKernels.SearchParams(z.deviceBuffer(), codebook.deviceBuffer(), norms, indices,
                                        distances, zq, list, listCount, status, n, sp, d, k));
                        NearestTcKernels.fallback(rt.kernels(), rt.stream(),
                                new NearestTcKernels.FallbackParams(z.deviceBuffer(), codebook.deviceBuffer(), norms, list,
                                        listCount, indices, distances, zq, n, sp, d, k, ctx.multiprocessorCount()));
                    }
                }
                case FP32 -> {
                    NearestKernels.Plan plan = NearestKernels.Plan.of(n, k, ctx.multiprocessorCount());
                    long parts = plan.partialElements(n);
                    try (DeviceBuffer norms = new DeviceBuffer(rt.stream(), 4L * k);
                         DeviceBuffer partValues = new DeviceBuffer(rt.stream(), 4L * parts);
                         DeviceBuffer partIndices = new DeviceBuffer(rt.stream(), 4L * parts)) {
                        NearestKernels.codebookNorms(rt.kernels(), rt.stream(),
                                new NearestKernels.NormsParams(codebook.deviceBuffer(), norms, status, k, d));
                        NearestKernels.argmin(rt.kernels(), rt.stream(),
                                new NearestKernels.ArgminParams(z.deviceBuffer(), codebook.deviceBuffer(), norms, partValues,
                                        partIndices, status, n, sp, d, k, plan));
                        NearestKernels.finalizeResult(rt.kernels(), rt.stream(),
                                new NearestKernels.FinalizeParams(z.deviceBuffer(), codebook.deviceBuffer(), partValues,
                                        partIndices, indices, distances, zq, n, sp, d, k, plan.splits()));
                    }
                }
            }
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
            if (CheckedOps.DATA_CHECKS) status.fill32(QuantizeKernels.STATUS_NONE); // read only then
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
