package io.vq4j.model;

import io.vq4j.nn.Backend;
import io.vq4j.nn.VectorQuantizer;
import io.vq4j.ops.Tensor;

import java.util.List;

/**
 * The contract's conv VQ-VAE: encoder (three Conv2d(3, 2, 1) + BatchNorm2d + LeakyReLU(0.2)
 * stages, then a 1x1 Conv2d to D), vq (K codes of length D, per spatial position), decoder
 * (ConvTranspose2d(D, h3, 1), three ConvTranspose2d(3, 2, 1, 1) + BatchNorm2d + LeakyReLU(0.2)
 * stages back to C, Tanh). Inputs in [-1, 1], H and W multiples of 8 (latent H/8 x W/8).
 * Loss {@code mse_mean(x_hat, x) + codebook + beta * commitment}.
 */
public final class ConvVQVAE extends VqAutoencoder {

    /**
     * @param inChannels C (3; 1 for Fashion-MNIST)
     * @param hidden     the three encoder widths (64, 128, 256)
     * @param vq         codebook settings (K 512, D 64, beta 0.25, EMA off...)
     * @param seed       weights, revival and k-means seeds
     */
    public record Config(int inChannels, List<Integer> hidden, VectorQuantizer.Config vq, long seed) {
        public Config {
            if (inChannels < 1) throw new IllegalArgumentException("inChannels must be >= 1, got " + inChannels);
            hidden = Blocks.hidden(hidden);
            if (vq == null) throw new IllegalArgumentException("vq config must not be null");
        }

        /** The contract's defaults: hidden (64, 128, 256), D 64, K 512, beta 0.25, no EMA, seed 0. */
        public static Config defaults(int inChannels) {
            return new Config(inChannels, List.of(64, 128, 256), VectorQuantizer.Config.of(512, 64), 0);
        }

        public Config withVq(VectorQuantizer.Config v) { return new Config(inChannels, hidden, v, seed); }

        public Config withSeed(long s) { return new Config(inChannels, hidden, vq, s); }
    }

    private final Config config;

    public ConvVQVAE(Backend backend, Config config) {
        super(backend, requireConfig(config).seed(),
                init -> Blocks.encoder(backend, init, config.inChannels(), config.hidden(), config.vq().embeddingDim()),
                init -> new VectorQuantizer(backend, init, config.vq(), config.seed()),
                init -> Blocks.decoder(backend, init, config.vq().embeddingDim(), config.hidden(), config.inChannels()));
        this.config = config;
    }

    private static Config requireConfig(Config c) {
        if (c == null) throw new IllegalArgumentException("config must not be null");
        return c;
    }

    public Config config() { return config; }

    @Override
    protected void checkInput(Tensor x) { Blocks.checkImages("ConvVQVAE", x, config.inChannels()); }

    @Override
    protected int[] latentShape(int[] indexShape) {
        if (indexShape.length != 3) {
            throw new IllegalArgumentException("ConvVQVAE: indices must be [B, h, w], got " + java.util.Arrays.toString(indexShape));
        }
        return new int[] {indexShape[0], config.vq().embeddingDim(), indexShape[1], indexShape[2]};
    }
}
