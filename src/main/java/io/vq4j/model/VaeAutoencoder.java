package io.vq4j.model;

import io.vq4j.nn.Backend;
import io.vq4j.nn.GaussianLatent;
import io.vq4j.nn.Init;
import io.vq4j.nn.Layer;
import io.vq4j.ops.GaussianGrads;
import io.vq4j.ops.LossAndGrad;
import io.vq4j.ops.Tensor;

import java.util.function.Function;

/**
 * encoder -> (mu head, logvar head) -> z = mu + exp(logvar/2) * eps -> decoder, the flow shared
 * by {@link ConvVAE} and {@link MlpVAE}: {@code total = mse_sum(x_hat, x) + kldWeight * KL_sum}.
 * Children "encoder", the two heads (named by the subclass: conv_mu / fc_mu ...), "decoder"; the
 * latent sampler has no state-dict entries. Noise seeds come from the model seed; the draw
 * counter is {@link #latent()}{@code .draws()}.
 */
public abstract class VaeAutoencoder extends Autoencoder {
    private final float kldWeight;
    private final Layer encoder, muHead, logvarHead, decoder;
    private final GaussianLatent latent;
    private LossAndGrad recon;
    private Tensor total, gradH;

    /** Builds the parts in order from one {@link Init} seeded with {@code seed}; frees them all if one fails. */
    // addChild only records the children; nothing overridable sees the half-built model
    @SuppressWarnings("this-escape")
    protected VaeAutoencoder(Backend backend, long seed, float kldWeight, Function<Init, Layer> encoder,
                             String muName, Function<Init, Layer> muHead, String logvarName,
                             Function<Init, Layer> logvarHead, Function<Init, Layer> decoder) {
        super(backend);
        if (!Float.isFinite(kldWeight) || kldWeight < 0) {
            throw new IllegalArgumentException("kldWeight must be finite and >= 0, got " + kldWeight);
        }
        this.kldWeight = kldWeight;
        try {
            Init init = new Init(seed);
            this.encoder = addChild("encoder", encoder.apply(init));
            this.muHead = addChild(muName, muHead.apply(init));
            this.logvarHead = addChild(logvarName, logvarHead.apply(init));
            this.decoder = addChild("decoder", decoder.apply(init));
            // a different stream from the weights' (which used SplittableRandom(seed))
            this.latent = addChild("latent", new GaussianLatent(backend, seed ^ 0x5641454E6F697365L));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public float kldWeight() { return kldWeight; }

    public Layer encoder() { return encoder; }

    public Layer decoder() { return decoder; }

    public GaussianLatent latent() { return latent; }

    protected abstract void checkInput(Tensor x);

    @Override
    public StepResult forwardBackward(Tensor x) {
        requireTraining();
        checkInput(x);
        releaseStep();
        Tensor h = encoder.forward(x);
        Tensor mu = muHead.forward(h);
        Tensor logvar = logvarHead.forward(h);
        Tensor z = latent.forward(mu, logvar);
        Tensor xHat = decoder.forward(z);
        recon = layers().mseLoss(xHat, x, false, 1f);
        total = layers().axpby(1f, recon.value(), kldWeight, latent.kl());

        Tensor gradZ = decoder.backward(recon.grad());
        GaussianGrads viaZ = latent.backward(gradZ);
        GaussianGrads viaKl = latent.klBackward(kldWeight);
        // the two paths into mu and logvar, summed; each sum dies once its head has consumed it
        Tensor gradHviaMu, gradHviaLogvar;
        try (Tensor dMu = layers().axpby(1f, viaZ.dMu(), 1f, viaKl.dMu())) {
            gradHviaMu = muHead.backward(dMu);
        }
        try (Tensor dLogvar = layers().axpby(1f, viaZ.dLogvar(), 1f, viaKl.dLogvar())) {
            gradHviaLogvar = logvarHead.backward(dLogvar);
        }
        // h feeds both heads: its gradient is the sum of theirs
        gradH = layers().axpby(1f, gradHviaMu, 1f, gradHviaLogvar);
        encoder.backward(gradH);
        return new StepResult(total, recon.value(), null, latent.kl(), null);
    }

    /** The reconstruction of {@code x} from z = mu (no sampling in eval mode), caller-owned. */
    @Override
    public Tensor reconstruct(Tensor x) {
        checkInput(x);
        return inEval(() -> {
            releaseStep();
            try (Posterior p = encodeInEval(x)) {
                decoder.forward(p.mu());
                return decoder.takeOutput();
            }
        });
    }

    /** mu and logvar of the latent Gaussian for {@code x}, caller-owned. */
    public Posterior encode(Tensor x) {
        checkInput(x);
        return inEval(() -> {
            releaseStep();
            return encodeInEval(x);
        });
    }

    /** The decoder's output for latent {@code z}, caller-owned. */
    public Tensor decode(Tensor z) {
        if (z == null) throw new IllegalArgumentException("z must not be null");
        return inEval(() -> {
            releaseStep();
            decoder.forward(z);
            return decoder.takeOutput();
        });
    }

    private Posterior encodeInEval(Tensor x) {
        Tensor h = encoder.forward(x);
        muHead.forward(h);
        logvarHead.forward(h);
        encoder.releaseOutput();
        Tensor mu = muHead.takeOutput();
        Tensor logvar = logvarHead.takeOutput();
        return new Posterior(mu, logvar);
    }

    private void releaseStep() {
        if (recon != null) recon.close();
        recon = null;
        total = close(total);
        gradH = close(gradH);
    }

    @Override
    protected void releaseOwned() { releaseStep(); }
}
