package io.vq4j.model;

import io.vq4j.nn.Backend;
import io.vq4j.nn.VectorQuantizer;
import io.vq4j.ops.DType;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The state_dict keys (and a few shapes) of the four models, written out from the model contract. */
class ModelKeysTest {
    static final Backend B = Backend.cpu();

    @AfterAll
    static void close() { B.close(); }

    static List<String> conv(String p) { return List.of(p + ".weight", p + ".bias"); }

    static List<String> bn(String p) {
        return List.of(p + ".weight", p + ".bias", p + ".running_mean", p + ".running_var", p + ".num_batches_tracked");
    }

    @SafeVarargs
    static List<String> keys(List<String>... parts) {
        List<String> out = new ArrayList<>();
        for (List<String> p : parts) out.addAll(p);
        return out;
    }

    static final List<String> CONV_ENCODER = keys(conv("encoder.0"), bn("encoder.1"), conv("encoder.3"), bn("encoder.4"),
            conv("encoder.6"), bn("encoder.7"));
    static final List<String> CONV_DECODER = keys(conv("decoder.0"), conv("decoder.1"), bn("decoder.2"),
            conv("decoder.4"), bn("decoder.5"), conv("decoder.7"), bn("decoder.8"));

    static List<String> keysOf(Autoencoder m) { return new ArrayList<>(m.stateDict().keySet()); }

    @Test
    void convVqVae() {
        try (ConvVQVAE m = new ConvVQVAE(B, Tiny.convVq(0))) {
            assertEquals(keys(CONV_ENCODER, conv("encoder.9"), List.of("vq.embedding.weight"), CONV_DECODER), keysOf(m));
            Map<String, Tensor> sd = m.stateDict();
            assertShape(sd, "encoder.0.weight", 4, 3, 3, 3);
            assertShape(sd, "encoder.9.weight", 4, 8, 1, 1);
            assertShape(sd, "vq.embedding.weight", 8, 4);
            assertShape(sd, "decoder.0.weight", 4, 8, 1, 1);
            assertShape(sd, "decoder.1.weight", 8, 8, 3, 3);
            assertShape(sd, "decoder.7.weight", 4, 3, 3, 3);
            assertShape(sd, "decoder.8.running_var", 3);
            assertEquals(DType.I32, sd.get("encoder.1.num_batches_tracked").dtype());
            assertShape(sd, "encoder.1.num_batches_tracked");
        }
    }

    @Test
    void convVqVaeWithEma() {
        ConvVQVAE.Config c = Tiny.convVq(0).withVq(VectorQuantizer.Config.of(8, 4).withEma(true));
        try (ConvVQVAE m = new ConvVQVAE(B, c)) {
            assertEquals(keys(CONV_ENCODER, conv("encoder.9"),
                    List.of("vq.ema_cluster_size", "vq.ema_w", "vq.embedding.weight"), CONV_DECODER), keysOf(m));
            assertShape(m.stateDict(), "vq.ema_w", 8, 4);
            assertShape(m.stateDict(), "vq.ema_cluster_size", 8);
        }
    }

    @Test
    void convVae() {
        try (ConvVAE m = new ConvVAE(B, Tiny.convVae(0))) {
            assertEquals(keys(CONV_ENCODER, conv("conv_mu"), conv("conv_logvar"), CONV_DECODER), keysOf(m));
            assertShape(m.stateDict(), "conv_mu.weight", 4, 8, 1, 1);
            assertShape(m.stateDict(), "decoder.0.weight", 4, 8, 1, 1);
        }
    }

    @Test
    void mlpVqVae() {
        try (MlpVQVAE m = new MlpVQVAE(B, MlpVQVAE.Config.defaults())) {
            assertEquals(keys(conv("encoder.0"), conv("encoder.2"), conv("encoder.4"), List.of("vq.embedding.weight"),
                    conv("decoder.0"), conv("decoder.2"), conv("decoder.4")), keysOf(m));
            Map<String, Tensor> sd = m.stateDict();
            assertShape(sd, "encoder.0.weight", 16, 8);
            assertShape(sd, "encoder.4.weight", 8, 16);
            assertShape(sd, "vq.embedding.weight", 16, 8);
            assertShape(sd, "decoder.4.weight", 8, 16);
        }
    }

    @Test
    void mlpVae() {
        try (MlpVAE m = new MlpVAE(B, Tiny.mlpVae(0))) {
            assertEquals(keys(conv("encoder.0"), conv("fc_mu"), conv("fc_logvar"), conv("decoder.0"), conv("decoder.2")),
                    keysOf(m));
            assertShape(m.stateDict(), "fc_logvar.weight", 4, 16);
            assertShape(m.stateDict(), "decoder.2.weight", 8, 16);
        }
    }

    @Test
    void parametersAreTheTrainableStateInPyTorchOrder() {
        try (ConvVAE m = new ConvVAE(B, Tiny.convVae(0))) {
            List<String> names = m.parameters().stream().map(p -> p.name()).toList();
            List<String> want = keysOf(m).stream()
                    .filter(k -> !k.endsWith("running_mean") && !k.endsWith("running_var") && !k.endsWith("num_batches_tracked"))
                    .toList();
            assertEquals(want, names);
        }
    }

    static void assertShape(Map<String, Tensor> sd, String key, int... shape) {
        assertTrue(sd.containsKey(key), key);
        assertArrayEquals(shape, sd.get(key).shape(), key + " is " + Arrays.toString(sd.get(key).shape()));
    }
}
