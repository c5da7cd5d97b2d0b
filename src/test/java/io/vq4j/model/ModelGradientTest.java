package io.vq4j.model;

import io.vq4j.nn.Backend;
import io.vq4j.nn.Parameter;
import io.vq4j.nn.VectorQuantizer;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Whole-model gradient checks: for every parameter tensor p, step along its gradient's direction
 * u = g/|g| by +-t and compare the central difference of the objective, (f(p + t u) - f(p - t u)) / 2,
 * with t |g| = t <g, u>. Batch norm runs in training mode (still a function of the parameters).
 *
 * <p>VAEs: f is the total loss (the noise is the same draw, offset 0, in every evaluation).
 * VQ-VAEs: the total loss's value is not what the stop-gradients differentiate (the decoder sees zq
 * in value but z in gradient), so f is the surrogate whose exact gradient the VQ-VAE rules define,
 * with the codes held fixed at the unperturbed indices and z0, zq0 the unperturbed z and e[idx]:
 * <pre>
 *   f = mse_mean(decoder(zq0 + z - z0), x) + beta * mean((z - zq0)^2) + mean((z0 - e[idx])^2)
 * </pre>
 * (recon through the straight-through path, commitment to the encoder, codebook loss to e). Its
 * value is computed here from the model's encoder and decoder and host arithmetic in double.
 */
class ModelGradientTest {
    static final Backend B = Backend.cpu();

    @AfterAll
    static void close() { B.close(); }

    /** The VQ surrogate above, for the fixed {@code x}, {@code idx}, {@code z0} and {@code zq0}. */
    static double vqSurrogate(VqAutoencoder m, Tensor x, int[] idx, float[] z0, float[] zq0) {
        VectorQuantizer vq = m.quantizer();
        int d = vq.config().embeddingDim();
        Tensor zt = m.encoder().forward(x);
        float[] z = zt.toFloatArray();
        int[] shape = zt.shape();
        int spatial = shape.length == 4 ? shape[2] * shape[3] : 1;
        float[] in = new float[z.length];
        double commit = 0, cb = 0;
        float[] e = vq.codebook().value().toFloatArray();
        for (int i = 0; i < z.length; i++) {
            in[i] = (float) ((double) zq0[i] + ((double) z[i] - z0[i]));
            double c = (double) z[i] - zq0[i];
            commit += c * c;
            // element i is (vector n, component ch) with n = b*spatial + s, i = (b*d + ch)*spatial + s
            int s = i % spatial, ch = (i / spatial) % d, b = i / (spatial * d);
            double q = (double) z0[i] - e[idx[b * spatial + s] * d + ch];
            cb += q * q;
        }
        Tensor xh = m.decoder().forward(Tensor.of(in, shape));
        float[] xf = x.toFloatArray(), xhf = xh.toFloatArray();
        double recon = 0;
        for (int i = 0; i < xf.length; i++) {
            double r = (double) xhf[i] - xf[i];
            recon += r * r;
        }
        return recon / xf.length + vq.config().beta() * commit / z.length + cb / z.length;
    }

    @ParameterizedTest
    @ValueSource(strings = {"ConvVQVAE", "ConvVAE", "MlpVQVAE", "MlpVAE", "ConvVQVAE-ema"})
    void gradientsMatchFiniteDifferences(String name) {
        boolean ema = name.endsWith("-ema");
        String base = name.replace("-ema", "");
        try (Autoencoder m = ema
                ? new ConvVQVAE(B, Tiny.convVq(3).withVq(VectorQuantizer.Config.of(8, 4).withEma(true)))
                : Tiny.build(base, B, 3)) {
            Tensor x = Tiny.input(base, 4);
            if (m instanceof VaeAutoencoder v) v.latent().setDraws(0);
            double l0 = m.forwardBackward(x).totalValue();
            float[][] grads = new float[m.parameters().size()][];
            int i = 0;
            for (Parameter p : m.parameters()) grads[i++] = p.grad() == null ? null : p.grad().toFloatArray();

            DoubleSupplier f;
            if (m instanceof VqAutoencoder v) {
                int[] idx = v.quantizer().indices().toIntArray();
                float[] z0 = v.encoder().forward(x).toFloatArray();
                int[] zShape = v.encoder().forward(x).shape();
                float[] zq0;
                try (Tensor zq = v.quantizer().lookup(v.quantizer().indices(), zShape)) {
                    zq0 = zq.toFloatArray();
                }
                f = () -> vqSurrogate(v, x, idx, z0, zq0);
                assertEquals(l0, f.getAsDouble() + (ema ? -v.quantizer().losses().toFloatArray()[0] : 0), 1e-5 * l0,
                        "the surrogate's value is the total loss at the unperturbed point");
            } else {
                VaeAutoencoder v = (VaeAutoencoder) m;
                f = () -> {
                    v.latent().setDraws(0);
                    return m.forwardBackward(x).totalValue();
                };
            }
            double fScale = Math.abs(f.getAsDouble());

            java.util.List<Double> rel = new java.util.ArrayList<>();
            int significant = 0, checked = 0;
            double worst = 0;
            i = 0;
            for (Parameter p : m.parameters()) {
                float[] g = grads[i++];
                if (g == null) {
                    assertFalse(p.requiresGrad(), p.name() + " has no gradient");
                    continue;
                }
                float[] val = p.value().hostFloats(), orig = val.clone();
                double gn = 0, vn = 0;
                for (int j = 0; j < g.length; j++) {
                    gn += (double) g[j] * g[j];
                    vn += (double) orig[j] * orig[j];
                }
                gn = Math.sqrt(gn);
                // an expected change of 3e-4 of the objective: small enough that few (leaky) ReLU
                // kinks are crossed, large against the float32 noise; capped at 1% of the weights
                double cap = 1e-2 * Math.sqrt(g.length) * Math.max(Math.sqrt(vn / g.length), 0.05);
                double t = gn == 0 ? cap : Math.min(3e-4 * fScale / gn, cap);
                double expected = t * gn;
                double[] fpm = new double[2];
                for (int s = 0; s < 2; s++) {
                    double sign = s == 0 ? 1 : -1;
                    for (int j = 0; j < val.length; j++) val[j] = (float) (orig[j] + sign * t * (gn == 0 ? 0 : g[j] / gn));
                    fpm[s] = f.getAsDouble();
                }
                System.arraycopy(orig, 0, val, 0, val.length);
                double fd = (fpm[0] - fpm[1]) / 2;
                // float32 forwards through a dozen layers: differences carry noise of ~1e-6 of the
                // objective; crossing a kink costs a few percent. A wrong gradient is off by far more.
                double noise = 2e-6 * fScale;
                double err = Math.abs(fd - expected);
                assertTrue(err <= 5e-2 * Math.abs(expected) + noise, name + " " + p.name() + ": finite difference " + fd
                        + " vs t*|g| " + expected + " (objective " + fScale + ")");
                checked++;
                if (expected > 50 * noise) {
                    significant++;
                    worst = Math.max(worst, err / expected);
                    rel.add(err / expected);
                }
            }
            assertTrue(significant >= checked / 2, name + ": only " + significant + " of " + checked
                    + " parameters had a gradient above the noise");
            double median = rel.stream().sorted().toList().get(rel.size() / 2);
            assertTrue(median < 1e-2, name + ": median relative error " + median);
            System.out.printf("[cpu] model=%s gradient check: %d params (%d significant), median rel err %.2e, worst %.2e%n",
                    name, checked, significant, median, worst);
        }
    }
}
