package io.vq4j.nn;

import io.vq4j.ops.BatchNormOut;
import io.vq4j.ops.BatchNormState;
import io.vq4j.ops.LayerGrads;
import io.vq4j.ops.LayerOps;
import io.vq4j.ops.Tensor;

/**
 * PyTorch's {@code nn.BatchNorm2d(c)} (momentum 0.1, eps 1e-5, affine, running stats):
 * parameters weight (gamma, ones) and bias (beta, zeros); buffers running_mean (zeros),
 * running_var (ones) and num_batches_tracked (host I32 scalar, see {@link Buffer#hostOnly()}).
 * Training mode normalises with the batch statistics and updates the running ones in place;
 * eval mode normalises with the running statistics (and has no backward).
 */
public final class BatchNorm2d extends Layer {
    private final int channels;
    private final Parameter weight, bias;
    private final Buffer runningMean, runningVar, numBatchesTracked;
    private Tensor x, saveMean, saveInvstd;

    public BatchNorm2d(Backend backend, int channels) {
        super(backend);
        if (channels < 1) throw new IllegalArgumentException("BatchNorm2d: channels must be >= 1, got " + channels);
        this.channels = channels;
        try {
            this.weight = addParameter("weight", Init.filled(channels, 1f), channels);
            this.bias = addParameter("bias", new float[channels], channels);
            this.runningMean = addBuffer("running_mean", new float[channels], channels);
            this.runningVar = addBuffer("running_var", Init.filled(channels, 1f), channels);
            this.numBatchesTracked = addHostBuffer("num_batches_tracked", intScalar(0));
        } catch (RuntimeException ex) {
            close(); // frees what was allocated before the failure
            throw ex;
        }
    }

    public int channels() { return channels; }

    public Parameter weight() { return weight; }

    public Parameter bias() { return bias; }

    public Buffer runningMean() { return runningMean; }

    public Buffer runningVar() { return runningVar; }

    public Buffer numBatchesTracked() { return numBatchesTracked; }

    /** A view of the running statistics for the ops (the tensors stay owned by the buffers). */
    private BatchNormState running() { return new BatchNormState(runningMean.value(), runningVar.value()); }

    @Override
    public Tensor forward(Tensor x) {
        beginForward();
        if (!isTraining()) {
            return keepOutput(layers().batchNorm2dEval(x, weight.value(), bias.value(), running(),
                    LayerOps.BATCH_NORM_EPS));
        }
        BatchNormOut o = layers().batchNorm2dTrain(x, weight.value(), bias.value(), running(),
                LayerOps.BATCH_NORM_MOMENTUM, LayerOps.BATCH_NORM_EPS);
        this.x = x;
        saveMean = o.saveMean();
        saveInvstd = o.saveInvstd();
        numBatchesTracked.value().hostInts()[0]++;
        return keepOutput(o.y());
    }

    @Override
    public Tensor backward(Tensor gradOut) {
        beginBackward();
        LayerGrads g = layers().batchNorm2dBackward(gradOut, x, weight.value(), saveMean, saveInvstd);
        weight.setGrad(g.dWeight());
        bias.setGrad(g.dBias());
        return keepGradInput(g.dInput());
    }

    @Override
    protected void releaseSaved() {
        x = null;
        saveMean = close(saveMean);
        saveInvstd = close(saveInvstd);
    }
}
