package io.vq4j.model;

import io.vq4j.nn.Backend;
import io.vq4j.nn.VectorQuantizer;
import io.vq4j.ops.Tensor;

/**
 * The contract's MLP VQ-VAE on rows: encoder Linear(in, h), ReLU, Linear(h, h), ReLU,
 * Linear(h, latent); vq (K codes of length latent); decoder Linear(latent, h), ReLU, Linear(h, h),
 * ReLU, Linear(h, in), Sigmoid. Inputs in [0, 1]. Loss {@code mse_mean + codebook + beta * commitment}.
 */
public final class MlpVQVAE extends VqAutoencoder {

    /** @param vq codebook settings; its embeddingDim is the latent width */
    public record Config(int inFeatures, int hidden, VectorQuantizer.Config vq, long seed) {
        public Config {
            if (inFeatures < 1 || hidden < 1) {
                throw new IllegalArgumentException("inFeatures and hidden must be >= 1, got " + inFeatures + ", " + hidden);
            }
            if (vq == null) throw new IllegalArgumentException("vq config must not be null");
        }

        /** The contract's defaults: in 8, hidden 16, latent 8, K 16, beta 0.25, seed 0. */
        public static Config defaults() { return new Config(8, 16, VectorQuantizer.Config.of(16, 8), 0); }

        public Config withVq(VectorQuantizer.Config v) { return new Config(inFeatures, hidden, v, seed); }

        public Config withSeed(long s) { return new Config(inFeatures, hidden, vq, s); }
    }

    private final Config config;

    public MlpVQVAE(Backend backend, Config config) {
        super(backend, requireConfig(config).seed(),
                init -> Blocks.mlp(backend, init, false, false,
                        config.inFeatures(), config.hidden(), config.hidden(), config.vq().embeddingDim()),
                init -> new VectorQuantizer(backend, init, config.vq(), config.seed()),
                init -> Blocks.mlp(backend, init, true, false,
                        config.vq().embeddingDim(), config.hidden(), config.hidden(), config.inFeatures()));
        this.config = config;
    }

    private static Config requireConfig(Config c) {
        if (c == null) throw new IllegalArgumentException("config must not be null");
        return c;
    }

    public Config config() { return config; }

    @Override
    protected void checkInput(Tensor x) { Blocks.checkRows("MlpVQVAE", x, config.inFeatures()); }

    @Override
    protected int[] latentShape(int[] indexShape) {
        if (indexShape.length != 1) {
            throw new IllegalArgumentException("MlpVQVAE: indices must be [B], got " + java.util.Arrays.toString(indexShape));
        }
        return new int[] {indexShape[0], config.vq().embeddingDim()};
    }
}
