package io.vq4j.model.codec;

import io.vq4j.TestData;
import io.vq4j.model.Autoencoder;
import io.vq4j.model.Checkpoint;
import io.vq4j.model.ConvVQVAE;
import io.vq4j.model.ModelKind;
import io.vq4j.model.ModelSpec;
import io.vq4j.model.VqAutoencoder;
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
     * statistics are not the identity, redraws the codebook as Gaussian rows with the latents'
     * spread, and saves it to {@code file}. Returns the model (caller closes). Why the codebook:
     * the initial one (uniform in +-1/K) sits in a tiny ball where the best and second-best codes
     * of most latents are within float noise of each other, which makes every image's codes alike
     * and legitimate near-tie flips between CPU and GPU common.
     */
    static Autoencoder buildAndSave(Path file, ModelSpec spec, Backend b, long seed) throws IOException {
        Autoencoder m = spec.build(b);
        try {
            int n = spec.channels() * spec.height() * spec.width();
            Tensor x = Tensor.of(TestData.uniform(seed, 4 * n, spec.kind().signedInputs() ? -1 : 0, 1), spec.batchShape(4));
            m.train(true);
            m.forwardBackward(x);
            m.train(false);
            spread((VqAutoencoder) m, x, seed);
            Checkpoint.save(file, spec, m);
            return m;
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Codebook rows drawn around the latents: per dimension, their mean plus Gaussian noise of their spread. */
    private static void spread(VqAutoencoder m, Tensor x, long seed) {
        Tensor zt = m.encoder().forward(x);
        float[] z = zt.toFloatArray();
        int b = zt.dim(0), d = zt.dim(1), s = (int) (zt.numel() / ((long) b * d));
        m.encoder().releaseOutput();
        float[] cb = m.quantizer().codebook().value().hostFloats(); // CPU backend: the parameter's own array
        int k = cb.length / d;
        double[] mean = new double[d], sq = new double[d];
        for (int i = 0; i < b; i++) {
            for (int c = 0; c < d; c++) {
                for (int p = 0; p < s; p++) {
                    double v = z[(i * d + c) * s + p];
                    mean[c] += v;
                    sq[c] += v * v;
                }
            }
        }
        float[] g = TestData.gaussian(seed + 1, cb.length, 1);
        for (int c = 0; c < d; c++) {
            double mu = mean[c] / (b * s), sd = Math.sqrt(Math.max(sq[c] / (b * s) - mu * mu, 1e-12));
            for (int r = 0; r < k; r++) cb[r * d + c] = (float) (mu + sd * g[r * d + c]);
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
