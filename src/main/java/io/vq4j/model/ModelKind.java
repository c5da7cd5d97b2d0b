package io.vq4j.model;

import java.util.Locale;

/** The reference models, by the names the CLI and checkpoints use. */
public enum ModelKind {
    /** {@link ConvVQVAE}: images in [-1, 1]. */
    VQVAE("vqvae", true, true),
    /** {@link ConvVAE}: images in [-1, 1]. */
    VAE("vae", true, false),
    /** {@link MlpVQVAE}: flattened inputs in [0, 1] (sigmoid output). */
    MLP_VQVAE("mlp-vqvae", false, true),
    /** {@link MlpVAE}: flattened inputs in [0, 1]. */
    MLP_VAE("mlp-vae", false, false);

    private final String id;
    private final boolean convolutional;
    private final boolean quantized;

    ModelKind(String id, boolean convolutional, boolean quantized) {
        this.id = id;
        this.convolutional = convolutional;
        this.quantized = quantized;
    }

    public String id() { return id; }

    /** Images go in as [B, C, H, W]; otherwise flattened to [B, C*H*W]. */
    public boolean convolutional() { return convolutional; }

    /** Has a codebook (encode gives code indices). */
    public boolean quantized() { return quantized; }

    /** Inputs in [-1, 1] (tanh output) for the conv models, [0, 1] for the MLPs. */
    public boolean signedInputs() { return convolutional; }

    public static ModelKind of(String id) {
        String s = id == null ? "" : id.trim().toLowerCase(Locale.ROOT);
        for (ModelKind k : values()) if (k.id.equals(s)) return k;
        throw new IllegalArgumentException("unknown model '" + id + "': expected vqvae, vae, mlp-vqvae or mlp-vae");
    }

    @Override
    public String toString() { return id; }
}
