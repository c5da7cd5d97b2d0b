package io.vq4j.nn;

import io.vq4j.ops.Tensor;

/** PyTorch's {@code nn.Sigmoid()}; backward from the output (gradOut * y * (1 - y)). */
public final class Sigmoid extends Layer {
    public Sigmoid(Backend backend) { super(backend); }

    @Override
    public Tensor forward(Tensor x) {
        beginForward();
        return keepOutput(layers().sigmoid(x));
    }

    @Override
    public Tensor backward(Tensor gradOut) {
        beginBackward();
        return keepGradInput(layers().sigmoidBackward(gradOut, output()));
    }
}
