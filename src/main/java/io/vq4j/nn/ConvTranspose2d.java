package io.vq4j.nn;

import io.vq4j.ops.Conv2dSpec;
import io.vq4j.ops.LayerGrads;
import io.vq4j.ops.Tensor;

/**
 * PyTorch's {@code nn.ConvTranspose2d(in, out, k, stride, padding, output_padding, bias)}:
 * weight {@code [in, out, k, k]}, bias {@code [out]}. Initialised as PyTorch does, whose fan_in
 * comes from the weight's dimension 1: {@code fan_in = out*k*k}, bound {@code 1/sqrt(fan_in)}
 * for weight and bias.
 */
public final class ConvTranspose2d extends Layer {
    private final Parameter weight;
    private final Parameter bias;
    private final Conv2dSpec spec;
    private Tensor x;

    /** Stride 1, no padding, with bias (the 1x1 decoder input layer). */
    public ConvTranspose2d(Backend backend, Init init, int in, int out, int k) {
        this(backend, init, in, out, k, 1, 0, 0, true);
    }

    public ConvTranspose2d(Backend backend, Init init, int in, int out, int k, int stride, int padding, int outputPadding) {
        this(backend, init, in, out, k, stride, padding, outputPadding, true);
    }

    public ConvTranspose2d(Backend backend, Init init, int in, int out, int k, int stride, int padding,
                           int outputPadding, boolean withBias) {
        super(backend);
        if (in < 1 || out < 1 || k < 1) {
            throw new IllegalArgumentException("ConvTranspose2d: in, out and k must be >= 1, got " + in + ", " + out
                    + ", " + k);
        }
        try {
            this.spec = Conv2dSpec.transposed(stride, padding, outputPadding);
            double bound = Init.fanInBound((long) out * k * k);
            this.weight = addParameter("weight", init.uniform(in * out * k * k, bound), in, out, k, k);
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
        Tensor y = layers().convTranspose2d(x, weight.value(), bias == null ? null : bias.value(), spec);
        if (isTraining()) this.x = x;
        return keepOutput(y);
    }

    @Override
    public Tensor backward(Tensor gradOut) {
        beginBackward();
        LayerGrads g = layers().convTranspose2dBackward(gradOut, x, weight.value(), bias != null, spec);
        weight.setGrad(g.dWeight());
        if (bias != null) bias.setGrad(g.dBias());
        return keepGradInput(g.dInput());
    }

    @Override
    protected void releaseSaved() { x = null; }
}
