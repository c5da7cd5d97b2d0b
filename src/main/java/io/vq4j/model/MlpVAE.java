package io.vq4j.model;

import io.vq4j.nn.Backend;
import io.vq4j.nn.Linear;
import io.vq4j.ops.Tensor;

/**
 * The contract's MLP VAE on rows: encoder Linear(in, h), ReLU; fc_mu and fc_logvar =
 * Linear(h, latent); decoder Linear(latent, h), ReLU, Linear(h, in) (no output activation).
 * Loss {@code mse_sum(x_hat, x) + kldWeight * KL_sum}.
 */
public final class MlpVAE extends VaeAutoencoder {

    public record Config(int inFeatures, int hidden, int latent, float kldWeight, long seed) {
        public Config {
            if (inFeatures < 1 || hidden < 1 || latent < 1) {
                throw new IllegalArgumentException("inFeatures, hidden and latent must be >= 1, got " + inFeatures + ", "
                        + hidden + ", " + latent);
            }
            if (!Float.isFinite(kldWeight) || kldWeight < 0) {
                throw new IllegalArgumentException("kldWeight must be finite and >= 0, got " + kldWeight);
            }
        }

        /** kld_weight 0.1, seed 0. */
        public static Config of(int inFeatures, int hidden, int latent) { return new Config(inFeatures, hidden, latent, 0.1f, 0); }

        public Config withSeed(long s) { return new Config(inFeatures, hidden, latent, kldWeight, s); }
    }

    private final Config config;

    public MlpVAE(Backend backend, Config config) {
        super(backend, requireConfig(config).seed(), config.kldWeight(),
                init -> Blocks.mlp(backend, init, false, true, config.inFeatures(), config.hidden()),
                "fc_mu", init -> new Linear(backend, init, config.hidden(), config.latent()),
                "fc_logvar", init -> new Linear(backend, init, config.hidden(), config.latent()),
                init -> Blocks.mlp(backend, init, false, false, config.latent(), config.hidden(), config.inFeatures()));
        this.config = config;
    }

    private static Config requireConfig(Config c) {
        if (c == null) throw new IllegalArgumentException("config must not be null");
        return c;
    }

    public Config config() { return config; }

    @Override
    protected void checkInput(Tensor x) { Blocks.checkRows("MlpVAE", x, config.inFeatures()); }
}
