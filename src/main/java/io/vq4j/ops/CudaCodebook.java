package io.vq4j.ops;

import io.vq4j.cuda.CudaStream;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.kernels.CodebookKernels;
import io.vq4j.cuda.kernels.VqBackwardKernels;

/**
 * The codebook ops on the GPU: VQ backward, code counts, codebook statistics, EMA update and
 * dead-code revival, as pipelines of the kernels in cuda/vq_backward.cu and cuda/vq_codebook.cu.
 * Work buffers live for one call and are freed on every path (stream-ordered frees, so freeing
 * right after the launches is safe); outputs are freed too when the call fails.
 *
 * <p>Index values are checked on the device (bad ones are never dereferenced); the one 8-byte
 * read-back of the verdict happens only with {@link CheckedOps#DATA_CHECKS}.
 */
final class CudaCodebook {
    private CudaCodebook() {}

    static VqGrads backward(CudaOps ops, VqLayout g, Tensor gradOut, Tensor z, Tensor codebook, Tensor indices,
                            float beta, boolean deterministic) {
        CudaStream stream = ops.runtime().stream();
        int k = g.k(), d = g.d();
        double scale = 2.0 / ((double) g.n() * d);
        Tensor gradZ = null, gradCb = null, counts = null;
        try {
            gradZ = ops.empty(DType.F32, z.shape());
            gradCb = ops.empty(DType.F32, k, d);
            counts = ops.zeros(DType.I32, k);
            try (DeviceBuffer scratch = zeroed(stream, VqBackwardKernels.SCRATCH_BYTES);
                 DeviceBuffer acc = zeroed(stream, VqBackwardKernels.accumulatorBytes(k, d, deterministic))) {
                VqBackwardKernels.count(new VqBackwardKernels.CountParams(indices.deviceBuffer(), g.n(), k,
                        counts.deviceBuffer(), deterministic ? z.deviceBuffer() : null, z.numel(), scratch));
                if (deterministic) {
                    VqBackwardKernels.fixedScale(new VqBackwardKernels.FixedScaleParams(counts.deviceBuffer(), k, scratch));
                }
                VqBackwardKernels.segmentSum(new VqBackwardKernels.SegmentSumParams(z.deviceBuffer(),
                        indices.deviceBuffer(), g.batch(), g.spatial(), d, k, acc, deterministic,
                        codebook.deviceBuffer(), gradOut.deviceBuffer(), gradZ.deviceBuffer(), beta * scale, scratch));
                VqBackwardKernels.finish(new VqBackwardKernels.FinishParams(gradCb.deviceBuffer(),
                        codebook.deviceBuffer(), counts.deviceBuffer(), acc, deterministic, scratch, k, d, scale));
                checkIndices(scratch, indices, k);
            }
            return new VqGrads(gradZ, gradCb, counts);
        } catch (RuntimeException | Error e) {
            closeAll(e, gradZ, gradCb, counts);
            throw e;
        }
    }

    static Tensor codeCounts(CudaOps ops, Tensor indices, int k) {
        CudaStream stream = ops.runtime().stream();
        Tensor counts = ops.zeros(DType.I32, k);
        try (DeviceBuffer scratch = zeroed(stream, VqBackwardKernels.SCRATCH_BYTES)) {
            VqBackwardKernels.count(new VqBackwardKernels.CountParams(indices.deviceBuffer(), indices.numel(), k,
                    counts.deviceBuffer(), null, 0, scratch));
            checkIndices(scratch, indices, k);
            return counts;
        } catch (RuntimeException | Error e) {
            closeAll(e, counts);
            throw e;
        }
    }

    static CodebookStats codebookStats(CudaOps ops, Tensor counts, double deadThreshold) {
        CudaStream stream = ops.runtime().stream();
        try (DeviceBuffer out = new DeviceBuffer(stream, 8L * CodebookKernels.STATS_DOUBLES)) {
            CodebookKernels.stats(new CodebookKernels.StatsParams(counts.deviceBuffer(), counts.dtype() == DType.F32,
                    counts.dim(0), deadThreshold, out));
            double[] r = CodebookKernels.readStats(out);
            return new CodebookStats(r[0], (int) r[1], (int) r[2], r[3]);
        }
    }

    static void emaUpdate(CudaOps ops, VqLayout g, Tensor z, Tensor indices, Tensor codebook, EmaState state,
                          float decay, float epsilon) {
        CudaStream stream = ops.runtime().stream();
        int k = g.k(), d = g.d();
        // Fixed-point sums: an EMA step is then bitwise reproducible, like the CPU's.
        try (DeviceBuffer scratch = zeroed(stream, VqBackwardKernels.SCRATCH_BYTES);
             DeviceBuffer counts = zeroed(stream, 4L * k);
             DeviceBuffer acc = zeroed(stream, VqBackwardKernels.accumulatorBytes(k, d, true));
             DeviceBuffer total = new DeviceBuffer(stream, 8)) {
            VqBackwardKernels.count(new VqBackwardKernels.CountParams(indices.deviceBuffer(), g.n(), k, counts,
                    z.deviceBuffer(), z.numel(), scratch));
            VqBackwardKernels.fixedScale(new VqBackwardKernels.FixedScaleParams(counts, k, scratch));
            VqBackwardKernels.segmentSum(new VqBackwardKernels.SegmentSumParams(z.deviceBuffer(), indices.deviceBuffer(),
                    g.batch(), g.spatial(), d, k, acc, true, null, null, null, 0.0, scratch));
            DeviceBuffer size = state.clusterSize().deviceBuffer(), embed = state.embedSum().deviceBuffer();
            double dec = decay;
            CodebookKernels.emaAccumulate(new CodebookKernels.EmaAccumulateParams(size, embed, counts, acc, scratch,
                    k, d, dec, 1.0 - dec));
            CodebookKernels.emaTotal(new CodebookKernels.EmaTotalParams(size, k, total));
            CodebookKernels.emaNormalize(new CodebookKernels.EmaNormalizeParams(codebook.deviceBuffer(), size, embed,
                    total, scratch, k, d, epsilon));
            // The state kernels do nothing when an index was bad, so failing here leaves it as it was.
            checkIndices(scratch, indices, k);
        }
    }

    static int reviveDeadCodes(CudaOps ops, VqLayout g, Tensor codebook, Tensor usage, float threshold, Tensor z,
                               long seed, EmaState ema) {
        CudaStream stream = ops.runtime().stream();
        int k = g.k();
        try (DeviceBuffer work = new DeviceBuffer(stream, CodebookKernels.reviveWorkBytes(k))) {
            work.fill32(0);
            CodebookKernels.reviveSelect(new CodebookKernels.ReviveSelectParams(usage.deviceBuffer(),
                    usage.dtype() == DType.F32, k, threshold, seed, g.n(), work));
            CodebookKernels.reviveApply(new CodebookKernels.ReviveApplyParams(codebook.deviceBuffer(),
                    ema == null ? null : ema.clusterSize().deviceBuffer(), ema == null ? null : ema.embedSum().deviceBuffer(),
                    work, z.deviceBuffer(), g.spatial(), g.d(), k));
            return CodebookKernels.readRevived(work);
        }
    }

    // ---- helpers --------------------------------------------------------------------------

    /** A device buffer zeroed on the stream; freed again if the fill fails. */
    private static DeviceBuffer zeroed(CudaStream stream, long bytes) {
        DeviceBuffer b = new DeviceBuffer(stream, bytes);
        try {
            b.fill32(0);
            return b;
        } catch (RuntimeException | Error e) {
            b.close();
            throw e;
        }
    }

    /** Throws the CPU's message for the first index outside [0, k), if the device saw one. */
    private static void checkIndices(DeviceBuffer scratch, Tensor indices, int k) {
        if (!CheckedOps.DATA_CHECKS) return;
        long pos = VqBackwardKernels.firstBadIndex(scratch);
        if (pos < 0) return;
        int[] value = new int[1];
        indices.deviceBuffer().copyTo(value, 0, 4 * pos, 1);
        throw CpuCodebook.badIndex(indices, pos, value[0], k);
    }

    /** Closes what a failed call allocated, keeping the first failure as the one thrown. */
    private static void closeAll(Throwable failure, Tensor... tensors) {
        for (Tensor t : tensors) {
            if (t == null) continue;
            try {
                t.close();
            } catch (RuntimeException | Error e) {
                failure.addSuppressed(e);
            }
        }
    }
}
