package io.vq4j.nn;

import io.vq4j.ops.LayerGrads;
import io.vq4j.ops.Tensor;

/**
 * PyTorch's {@code nn.Linear(in, out, bias)}: {@code y = x @ W^T + b} on {@code [N, in]}; weight
 * {@code [out, in]} and bias {@code [out]} both {@code U(-1/sqrt(in), 1/sqrt(in))}.
 */
public final class Linear extends Layer {
    private final Parameter weight;
    private final Parameter bias;
    private Tensor x;

    public Linear(Backend backend, Init init, int in, int out) { this(backend, init, in, out, true); }

    public Linear(Backend backend, Init init, int in, int out, boolean withBias) {
        super(backend);
        if (in < 1 || out < 1) throw new IllegalArgumentException("Linear: in and out must be >= 1, got " + in + ", " + out);
        try {
            double bound = Init.fanInBound(in);
            this.weight = addParameter("weight", init.uniform(out * in, bound), out, in);
            this.bias = withBias ? addParameter("bias", init.uniform(out, bound), out) : null;
        } catch (RuntimeException ex) {
            close(); // frees what was allocated before the failure
            throw ex;
        }
    }

    public Parameter weight() { return weight; }

    public Parameter bias() { return bias; }

    @Override
    public Tensor forward(Tensor x) {
        beginForward();
        Tensor y = layers().linear(x, weight.value(), bias == null ? null : bias.value());
        if (isTraining()) this.x = x;
        return keepOutput(y);
    }

    @Override
    public Tensor backward(Tensor gradOut) {
        beginBackward();
        LayerGrads g = layers().linearBackward(gradOut, x, weight.value(), bias != null);
        weight.setGrad(g.dWeight());
        if (bias != null) bias.setGrad(g.dBias());
        return keepGradInput(g.dInput());
    }

    @Override
    protected void releaseSaved() { x = null; }
}
