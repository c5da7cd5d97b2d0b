package io.vq4j.model.codec;

import io.vq4j.TestData;
import io.vq4j.model.Autoencoder;
import io.vq4j.model.Checkpoint;
import io.vq4j.model.ConvVQVAE;
import io.vq4j.model.ModelKind;
import io.vq4j.model.ModelSpec;
import io.vq4j.nn.Backend;
import io.vq4j.nn.VectorQuantizer;
import io.vq4j.ops.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Small checkpoints for the codec tests, and the model-side reference of what the codec returns. */
final class CodecFixtures {
    private CodecFixtures() {}

    /** A narrow conv VQ-VAE on 3 x size x size (K 64, D 8): cheap on the CPU, grid size/8. */
    static ModelSpec smallConv(int size, long seed) {
        return new ModelSpec(ModelKind.VQVAE,
                new ConvVQVAE.Config(3, List.of(8, 16, 16), VectorQuantizer.Config.of(64, 8), seed), 3, size, size);
    }

    /**
     * Builds {@code spec}'s model on {@code b}, runs one training forward so batch-norm running
     * statistics are not the identity, and saves it to {@code file}. Returns the model (caller closes).
     */
    static Autoencoder buildAndSave(Path file, ModelSpec spec, Backend b, long seed) throws IOException {
        Autoencoder m = spec.build(b);
        try {
            int n = spec.channels() * spec.height() * spec.width();
            m.train(true);
            m.forwardBackward(Tensor.of(TestData.uniform(seed, 4 * n, spec.kind().signedInputs() ? -1 : 0, 1),
                    spec.batchShape(4)));
            m.train(false);
            Checkpoint.save(file, spec, m);
            return m;
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** An image in [0, 1] of {@code n} values. */
    static float[] image(long seed, int n) { return TestData.uniform(seed, n, 0, 1); }

    /** The model's input for a [0, 1] image: 2x - 1 for the signed (conv) models, as the codec documents. */
    static float[] modelRange(ModelSpec spec, float[] img) {
        float[] x = img.clone();
        if (spec.kind().signedInputs()) for (int j = 0; j < x.length; j++) x[j] = 2f * img[j] - 1f;
        return x;
    }

    /** The codec's documented output for model output y: clamp((y + 1) / 2) or clamp(y). */
    static float[] unitRange(ModelSpec spec, float[] y) {
        float[] out = new float[y.length];
        for (int j = 0; j < y.length; j++) {
            float v = spec.kind().signedInputs() ? (y[j] + 1f) * 0.5f : y[j];
            out[j] = Math.min(1f, Math.max(0f, v));
        }
        return out;
    }
}
