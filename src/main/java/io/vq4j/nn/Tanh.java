package io.vq4j.nn;

import io.vq4j.ops.Tensor;

/** PyTorch's {@code nn.Tanh()}; backward from the output (gradOut * (1 - y^2)). */
public final class Tanh extends Layer {
    public Tanh(Backend backend) { super(backend); }

    @Override
    public Tensor forward(Tensor x) {
        beginForward();
        return keepOutput(layers().tanh(x));
    }

    @Override
    public Tensor backward(Tensor gradOut) {
        beginBackward();
        return keepGradInput(layers().tanhBackward(gradOut, output()));
    }
}
