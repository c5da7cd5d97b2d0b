package io.vq4j.model;

import io.vq4j.nn.Backend;
import io.vq4j.nn.Init;
import io.vq4j.nn.Layer;
import io.vq4j.nn.VectorQuantizer;
import io.vq4j.ops.LossAndGrad;
import io.vq4j.ops.Tensor;

import java.util.function.Function;

/**
 * encoder -> vq -> decoder, the flow shared by {@link ConvVQVAE} and {@link MlpVQVAE}:
 * {@code total = mse_mean(x_hat, x) + vq.loss()} ({@code codebook + beta * commitment}).
 * Children "encoder", "vq", "decoder" (state-dict prefixes).
 */
public abstract class VqAutoencoder extends Autoencoder {
    private final Layer encoder;
    private final VectorQuantizer vq;
    private final Layer decoder;
    private LossAndGrad recon;
    private Tensor total;

    /** Builds the parts in order from one {@link Init} seeded with {@code seed}; frees them all if one fails. */
    // addChild only records the children; nothing overridable sees the half-built model
    @SuppressWarnings("this-escape")
    protected VqAutoencoder(Backend backend, long seed, Function<Init, Layer> encoder,
                            Function<Init, VectorQuantizer> vq, Function<Init, Layer> decoder) {
        super(backend);
        try {
            Init init = new Init(seed);
            this.encoder = addChild("encoder", encoder.apply(init));
            this.vq = addChild("vq", vq.apply(init));
            this.decoder = addChild("decoder", decoder.apply(init));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public Layer encoder() { return encoder; }

    public VectorQuantizer quantizer() { return vq; }

    public Layer decoder() { return decoder; }

    /** Throws IllegalArgumentException naming the problem when {@code x} is not a valid input batch. */
    protected abstract void checkInput(Tensor x);

    /** The shape of z for code indices of shape {@code indexShape} ({@code [N, D]} or {@code [B, D, h, w]}). */
    protected abstract int[] latentShape(int[] indexShape);

    @Override
    public StepResult forwardBackward(Tensor x) {
        requireTraining();
        checkInput(x);
        releaseStep();
        Tensor z = encoder.forward(x);
        Tensor st = vq.forward(z);
        Tensor xHat = decoder.forward(st);
        recon = layers().mseLoss(xHat, x, true, 1f);
        total = layers().axpby(1f, recon.value(), 1f, vq.loss());
        Tensor gradSt = decoder.backward(recon.grad());
        Tensor gradZ = vq.backward(gradSt);
        encoder.backward(gradZ);
        return new StepResult(total, recon.value(), vq.losses(), null, vq.counts());
    }

    /** EMA codebook update and dead-code revival (see {@link VectorQuantizer#afterStep()}). */
    @Override
    public int afterStep() {
        ensureOpen();
        return vq.afterStep();
    }

    @Override
    public Tensor reconstruct(Tensor x) {
        checkInput(x);
        return inEval(() -> {
            releaseStep();
            Tensor zq = vq.forward(encoder.forward(x));
            encoder.releaseOutput();
            decoder.forward(zq);
            vq.releaseOutput();
            return decoder.takeOutput();
        });
    }

    /** The code index of every latent vector of {@code x} (I32 {@code [B]} or {@code [B, h, w]}), caller-owned. */
    public Tensor encode(Tensor x) {
        checkInput(x);
        return inEval(() -> {
            releaseStep();
            vq.forward(encoder.forward(x));
            encoder.releaseOutput();
            vq.releaseOutput();
            return vq.takeIndices();
        });
    }

    /** Images (or rows) for code indices as {@link #encode} returns them, caller-owned. */
    public Tensor decode(Tensor indices) {
        if (indices == null) throw new IllegalArgumentException("indices must not be null");
        return inEval(() -> {
            releaseStep();
            try (Tensor zq = vq.lookup(indices, latentShape(indices.shape()))) {
                decoder.forward(zq);
                return decoder.takeOutput();
            }
        });
    }

    private void releaseStep() {
        if (recon != null) recon.close();
        recon = null;
        total = close(total);
    }

    @Override
    protected void releaseOwned() { releaseStep(); }
}
