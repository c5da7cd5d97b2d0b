package io.vq4j.nn;

import io.vq4j.ops.Tensor;

/** PyTorch's {@code nn.ReLU()}; backward from the output (gradOut where y > 0). */
public final class ReLU extends Layer {
    public ReLU(Backend backend) { super(backend); }

    @Override
    public Tensor forward(Tensor x) {
        beginForward();
        return keepOutput(layers().relu(x));
    }

    @Override
    public Tensor backward(Tensor gradOut) {
        beginBackward();
        return keepGradInput(layers().reluBackward(gradOut, output()));
    }
}
