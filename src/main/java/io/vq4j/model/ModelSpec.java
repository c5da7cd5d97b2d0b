package io.vq4j.model;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import io.vq4j.nn.Backend;
import io.vq4j.nn.VectorQuantizer;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything needed to rebuild a model: its kind, its config record, and the input geometry it
 * was trained on (channels, height, width). Stored as JSON in a checkpoint's metadata
 * ({@code vq4j.model}, {@code vq4j.config}, {@code vq4j.input}) so a file says what it holds.
 */
public record ModelSpec(ModelKind kind, Record config, int channels, int height, int width) {
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    public ModelSpec {
        if (kind == null || config == null) throw new IllegalArgumentException("kind and config must not be null");
        if (channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("input must be at least 1x1x1, got " + channels + "x" + height + "x" + width);
        }
        Class<?> want = configClass(kind);
        if (!want.isInstance(config)) {
            throw new IllegalArgumentException(kind + " needs a " + want.getName() + ", got " + config.getClass().getName());
        }
    }

    /**
     * The default model of each kind for images of {@code channels} x {@code size} x {@code size}
     * (conv models need size divisible by 8; the MLPs take the flattened image).
     */
    public static ModelSpec defaults(ModelKind kind, int channels, int size, long seed) {
        if (kind.convolutional() && size % 8 != 0) {
            throw new IllegalArgumentException("--image-size " + size + ": the conv models downsample 8x, so it must be a multiple of 8");
        }
        int features = channels * size * size;
        Record cfg = switch (kind) {
            case VQVAE -> ConvVQVAE.Config.defaults(channels).withSeed(seed);
            case VAE -> ConvVAE.Config.defaults(channels).withSeed(seed);
            case MLP_VQVAE -> new MlpVQVAE.Config(features, 16, VectorQuantizer.Config.of(16, 8), seed);
            case MLP_VAE -> new MlpVAE.Config(features, 16, 8, 0.1f, seed);
        };
        return new ModelSpec(kind, cfg, channels, size, size);
    }

    /** A new model of this spec on {@code backend} (fresh, seeded weights). */
    public Autoencoder build(Backend backend) {
        return switch (kind) {
            case VQVAE -> new ConvVQVAE(backend, (ConvVQVAE.Config) config);
            case VAE -> new ConvVAE(backend, (ConvVAE.Config) config);
            case MLP_VQVAE -> new MlpVQVAE(backend, (MlpVQVAE.Config) config);
            case MLP_VAE -> new MlpVAE(backend, (MlpVAE.Config) config);
        };
    }

    /** The input shape of a batch of {@code b}: [b, C, H, W] for conv models, [b, C*H*W] for MLPs. */
    public int[] batchShape(int b) {
        return kind.convolutional() ? new int[] {b, channels, height, width} : new int[] {b, channels * height * width};
    }

    /** The checkpoint metadata entries for this spec. */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("vq4j.model", kind.id());
        m.put("vq4j.config", GSON.toJson(config));
        m.put("vq4j.input", GSON.toJson(Map.of("channels", channels, "height", height, "width", width)));
        return m;
    }

    /** The spec a checkpoint's metadata describes; a clear error naming what is missing or wrong. */
    public static ModelSpec fromMetadata(Map<String, String> metadata, String where) {
        String kindId = metadata.get("vq4j.model"), cfg = metadata.get("vq4j.config"), input = metadata.get("vq4j.input");
        if (kindId == null || cfg == null || input == null) {
            throw new IllegalArgumentException(where + ": not a vq4j checkpoint (metadata has no "
                    + (kindId == null ? "vq4j.model" : cfg == null ? "vq4j.config" : "vq4j.input") + "; keys: "
                    + metadata.keySet() + ")");
        }
        ModelKind kind;
        try {
            kind = ModelKind.of(kindId);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
        try {
            Record config = GSON.fromJson(cfg, configClass(kind).asSubclass(Record.class));
            @SuppressWarnings("unchecked")
            Map<String, Double> in = GSON.fromJson(input, Map.class);
            return new ModelSpec(kind, config, in.get("channels").intValue(), in.get("height").intValue(),
                    in.get("width").intValue());
        } catch (JsonParseException | NullPointerException | IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": bad vq4j.config / vq4j.input for " + kind + ": " + e.getMessage(), e);
        }
    }

    private static Class<?> configClass(ModelKind kind) {
        return switch (kind) {
            case VQVAE -> ConvVQVAE.Config.class;
            case VAE -> ConvVAE.Config.class;
            case MLP_VQVAE -> MlpVQVAE.Config.class;
            case MLP_VAE -> MlpVAE.Config.class;
        };
    }

    /** Seeds and sizes as one line, for logs. */
    public String describe() {
        return kind + " on " + channels + "x" + height + "x" + width + " " + GSON.toJson(config);
    }
}
