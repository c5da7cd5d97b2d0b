package io.vq4j.nn;

import io.vq4j.ops.Tensor;

/** PyTorch's {@code nn.LeakyReLU(slope)}; backward from the input (x > 0 ? gradOut : slope * gradOut). */
public final class LeakyReLU extends Layer {
    private final float slope;
    private Tensor x;

    public LeakyReLU(Backend backend, float slope) {
        super(backend);
        if (!Float.isFinite(slope)) throw new IllegalArgumentException("LeakyReLU: slope must be finite, got " + slope);
        this.slope = slope;
    }

    public float slope() { return slope; }

    @Override
    public Tensor forward(Tensor x) {
        beginForward();
        Tensor y = layers().leakyRelu(x, slope);
        if (isTraining()) this.x = x;
        return keepOutput(y);
    }

    @Override
    public Tensor backward(Tensor gradOut) {
        beginBackward();
        return keepGradInput(layers().leakyReluBackward(gradOut, x, slope));
    }

    @Override
    protected void releaseSaved() { x = null; }
}
