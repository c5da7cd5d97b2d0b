package io.vq4j.nn;

import io.vq4j.ops.Conv2dSpec;
import io.vq4j.ops.LayerGrads;
import io.vq4j.ops.Tensor;

/**
 * PyTorch's {@code nn.Conv2d(in, out, k, stride, padding, bias)} (square kernel, dilation 1,
 * groups 1): weight {@code [out, in, k, k]}, bias {@code [out]}, both {@code U(-1/sqrt(fan_in),
 * 1/sqrt(fan_in))} with {@code fan_in = in*k*k} (PyTorch's default initialisation).
 */
public final class Conv2d extends Layer {
    private final Parameter weight;
    private final Parameter bias;
    private final Conv2dSpec spec;
    private Tensor x;

    /** A 1x1-or-k convolution with stride 1, no padding, with bias. */
    public Conv2d(Backend backend, Init init, int in, int out, int k) { this(backend, init, in, out, k, 1, 0, true); }

    public Conv2d(Backend backend, Init init, int in, int out, int k, int stride, int padding) {
        this(backend, init, in, out, k, stride, padding, true);
    }

    public Conv2d(Backend backend, Init init, int in, int out, int k, int stride, int padding, boolean withBias) {
        super(backend);
        if (in < 1 || out < 1 || k < 1) {
            throw new IllegalArgumentException("Conv2d: in, out and k must be >= 1, got " + in + ", " + out + ", " + k);
        }
        try {
            this.spec = Conv2dSpec.of(stride, padding);
            double bound = Init.fanInBound((long) in * k * k);
            this.weight = addParameter("weight", init.uniform(out * in * k * k, bound), out, in, k, k);
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
        Tensor y = layers().conv2d(x, weight.value(), bias == null ? null : bias.value(), spec);
        if (isTraining()) this.x = x;
        return keepOutput(y);
    }

    @Override
    public Tensor backward(Tensor gradOut) {
        beginBackward();
        LayerGrads g = layers().conv2dBackward(gradOut, x, weight.value(), bias != null, spec);
        weight.setGrad(g.dWeight());
        if (bias != null) bias.setGrad(g.dBias());
        return keepGradInput(g.dInput());
    }

    @Override
    protected void releaseSaved() { x = null; }
}
