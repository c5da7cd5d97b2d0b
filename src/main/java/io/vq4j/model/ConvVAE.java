package io.vq4j.model;

import io.vq4j.nn.Backend;
import io.vq4j.nn.Conv2d;
import io.vq4j.ops.Tensor;

import java.util.List;

/**
 * The contract's conv VAE: the conv VQ-VAE's encoder without its last 1x1 conv (encoder.0 ..
 * encoder.8), conv_mu and conv_logvar = Conv2d(h3, latentChannels, 1), z = mu + exp(logvar/2) * eps,
 * the conv VQ-VAE's decoder from latentChannels. Inputs in [-1, 1]; 3x512x512 gives a 4x64x64
 * latent. Loss {@code mse_sum(x_hat, x) + kldWeight * KL_sum}.
 */
public final class ConvVAE extends VaeAutoencoder {

    public record Config(int inChannels, List<Integer> hidden, int latentChannels, float kldWeight, long seed) {
        public Config {
            if (inChannels < 1) throw new IllegalArgumentException("inChannels must be >= 1, got " + inChannels);
            hidden = Blocks.hidden(hidden);
            if (latentChannels < 1) throw new IllegalArgumentException("latentChannels must be >= 1, got " + latentChannels);
            if (!Float.isFinite(kldWeight) || kldWeight < 0) {
                throw new IllegalArgumentException("kldWeight must be finite and >= 0, got " + kldWeight);
            }
        }

        /** The contract's defaults: hidden (64, 128, 256), 4 latent channels, kld_weight 0.1, seed 0. */
        public static Config defaults(int inChannels) { return new Config(inChannels, List.of(64, 128, 256), 4, 0.1f, 0); }

        public Config withSeed(long s) { return new Config(inChannels, hidden, latentChannels, kldWeight, s); }
    }

    private final Config config;

    public ConvVAE(Backend backend, Config config) {
        super(backend, requireConfig(config).seed(), config.kldWeight(),
                init -> Blocks.encoder(backend, init, config.inChannels(), config.hidden(), 0),
                "conv_mu", init -> new Conv2d(backend, init, config.hidden().get(2), config.latentChannels(), 1),
                "conv_logvar", init -> new Conv2d(backend, init, config.hidden().get(2), config.latentChannels(), 1),
                init -> Blocks.decoder(backend, init, config.latentChannels(), config.hidden(), config.inChannels()));
        this.config = config;
    }

    private static Config requireConfig(Config c) {
        if (c == null) throw new IllegalArgumentException("config must not be null");
        return c;
    }

    public Config config() { return config; }

    @Override
    protected void checkInput(Tensor x) { Blocks.checkImages("ConvVAE", x, config.inChannels()); }
}
