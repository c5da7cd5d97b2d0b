package io.vq4j.model;

import io.vq4j.TestData;
import io.vq4j.nn.Backend;
import io.vq4j.nn.VectorQuantizer;
import io.vq4j.ops.Tensor;

import java.util.List;

/** Tiny configurations of the four models and inputs for them, shared by the model tests. */
final class Tiny {
    private Tiny() {}

    static final List<Integer> HIDDEN = List.of(4, 8, 8);

    static ConvVQVAE.Config convVq(long seed) {
        return new ConvVQVAE.Config(3, HIDDEN, VectorQuantizer.Config.of(8, 4), seed);
    }

    static ConvVAE.Config convVae(long seed) { return new ConvVAE.Config(3, HIDDEN, 4, 0.1f, seed); }

    static MlpVQVAE.Config mlpVq(long seed) { return MlpVQVAE.Config.defaults().withSeed(seed); }

    static MlpVAE.Config mlpVae(long seed) { return new MlpVAE.Config(8, 16, 4, 0.1f, seed); }

    /** The four models, by name. */
    static Autoencoder build(String name, Backend b, long seed) {
        return switch (name) {
            case "ConvVQVAE" -> new ConvVQVAE(b, convVq(seed));
            case "ConvVAE" -> new ConvVAE(b, convVae(seed));
            case "MlpVQVAE" -> new MlpVQVAE(b, mlpVq(seed));
            case "MlpVAE" -> new MlpVAE(b, mlpVae(seed));
            default -> throw new IllegalArgumentException(name);
        };
    }

    static final List<String> MODELS = List.of("ConvVQVAE", "ConvVAE", "MlpVQVAE", "MlpVAE");

    /** A host input batch for the model: images [4, 3, 16, 16] in [-1, 1] or rows [16, 8] in [0, 1]. */
    static Tensor input(String name, long seed) {
        if (name.startsWith("Conv")) return Tensor.of(TestData.uniform(seed, 4 * 3 * 16 * 16, -1, 1), 4, 3, 16, 16);
        return Tensor.of(TestData.uniform(seed, 16 * 8, 0, 1), 16, 8);
    }
}
