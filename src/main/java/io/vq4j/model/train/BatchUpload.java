package io.vq4j.model.train;

import io.vq4j.cuda.PinnedUpload;
import io.vq4j.nn.Backend;
import io.vq4j.ops.CudaOps;
import io.vq4j.ops.DType;
import io.vq4j.ops.Tensor;

/**
 * Moves a host batch to the backend for one training step: on CUDA through page-locked staging
 * ({@link PinnedUpload}), so the upload queues behind the previous step instead of waiting for it;
 * on the CPU the batch is wrapped as it always was. The returned tensor is the caller's (close it
 * after the step; on CUDA the free is stream-ordered).
 */
final class BatchUpload implements AutoCloseable {
    private final Backend backend;
    private final CudaOps cuda;
    private final PinnedUpload pinned;

    BatchUpload(Backend backend) {
        this.backend = backend;
        this.cuda = backend.ops() instanceof CudaOps c ? c : null;
        this.pinned = cuda == null ? null : new PinnedUpload(cuda.runtime().stream());
    }

    /** {@code data[0, numel(shape))} as a tensor of {@code shape} on the backend. */
    Tensor upload(float[] data, int... shape) {
        if (cuda == null) return backend.ops().upload(Tensor.of(data, shape));
        long n = Tensor.numel(shape);
        if (n > data.length) {
            throw new IllegalArgumentException("batch shape " + java.util.Arrays.toString(shape) + " needs " + n
                    + " values, the batch has " + data.length);
        }
        Tensor x = cuda.empty(DType.F32, shape);
        try {
            pinned.upload(data, (int) n, x.deviceBuffer());
            return x;
        } catch (RuntimeException | Error e) {
            x.close();
            throw e;
        }
    }

    @Override
    public void close() {
        if (pinned != null) pinned.close();
    }
}
