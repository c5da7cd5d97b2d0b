package io.vq4j.ops;

/**
 * The running statistics of a batch norm layer, F32 {@code [C]} each: PyTorch's
 * {@code running_mean} (starts at 0) and {@code running_var} (starts at 1). Updated in place by
 * {@link LayerOps#batchNorm2dTrain}; owned by the caller.
 */
public record BatchNormState(Tensor runningMean, Tensor runningVar) implements AutoCloseable {

    /** Fresh host statistics for {@code channels} channels (mean 0, variance 1), as PyTorch starts. */
    public static BatchNormState initial(int channels) {
        if (channels < 1) throw new IllegalArgumentException("channels must be >= 1, got " + channels);
        float[] var = new float[channels];
        java.util.Arrays.fill(var, 1f);
        return new BatchNormState(Tensor.zeros(DType.F32, channels), Tensor.of(var, channels));
    }

    @Override
    public void close() {
        runningMean.close();
        runningVar.close();
    }
}
