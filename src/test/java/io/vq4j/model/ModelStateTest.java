package io.vq4j.model;

import io.vq4j.nn.Adam;
import io.vq4j.nn.Backend;
import io.vq4j.nn.Buffer;
import io.vq4j.nn.LrSchedule;
import io.vq4j.nn.Parameter;
import io.vq4j.nn.VectorQuantizer;
import io.vq4j.ops.DType;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** State dicts, determinism, ownership and the inference API of the four models. */
class ModelStateTest {
    static final Backend B = Backend.cpu();

    @AfterAll
    static void close() { B.close(); }

    static void trainSteps(Autoencoder m, Tensor x, int steps) {
        Adam opt = Adam.adam(B, m.parameters(), LrSchedule.constant(1e-2));
        for (int i = 0; i < steps; i++) {
            m.forwardBackward(x);
            opt.step();
            m.afterStep();
        }
    }

    static void assertSameState(Map<String, Tensor> want, Map<String, Tensor> got) {
        assertEquals(new ArrayList<>(want.keySet()), new ArrayList<>(got.keySet()));
        for (String k : want.keySet()) {
            Tensor a = want.get(k), b = got.get(k);
            assertArrayEquals(a.shape(), b.shape(), k);
            if (a.dtype() == DType.F32) assertArrayEquals(a.toFloatArray(), b.toFloatArray(), k);
            else assertArrayEquals(a.toIntArray(), b.toIntArray(), k);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ConvVQVAE", "ConvVAE", "MlpVQVAE", "MlpVAE"})
    void stateDictRoundTripReproducesOutputsBitForBit(String name) {
        Tensor x = Tiny.input(name, 1);
        try (Autoencoder a = Tiny.build(name, B, 1); Autoencoder b = Tiny.build(name, B, 2)) {
            trainSteps(a, x, 3); // moves weights and batch-norm statistics away from their initial values
            LinkedHashMap<String, Tensor> sd = a.stateDict();
            b.loadStateDict(sd);
            assertSameState(sd, b.stateDict());
            try (Tensor ya = a.reconstruct(x); Tensor yb = b.reconstruct(x)) {
                assertArrayEquals(ya.toFloatArray(), yb.toFloatArray(), "reconstruction");
            }
            // the dict holds copies: changing it changes neither model
            Tensor w = sd.values().iterator().next();
            float before = b.stateDict().values().iterator().next().toFloatArray()[0];
            w.hostFloats()[0] += 1f;
            assertEquals(before, b.stateDict().values().iterator().next().toFloatArray()[0]);
            if (name.startsWith("Conv")) {
                assertEquals(3, sd.get("encoder.1.num_batches_tracked").toIntArray()[0], "num_batches_tracked counts steps");
            }
        }
    }

    @Test
    void badStateDictsFailCleanlyAndChangeNothing() {
        try (ConvVQVAE m = new ConvVQVAE(B, Tiny.convVq(5)); ConvVQVAE other = new ConvVQVAE(B, Tiny.convVq(6))) {
            LinkedHashMap<String, Tensor> before = m.stateDict();

            LinkedHashMap<String, Tensor> missing = other.stateDict();
            missing.remove("decoder.2.running_var");
            assertMessage(m, missing, "missing keys [decoder.2.running_var]");

            LinkedHashMap<String, Tensor> extra = other.stateDict();
            extra.put("vq.ema_w", Tensor.zeros(DType.F32, 8, 4));
            assertMessage(m, extra, "unexpected keys [vq.ema_w]");

            LinkedHashMap<String, Tensor> shape = other.stateDict();
            shape.put("vq.embedding.weight", Tensor.zeros(DType.F32, 4, 8));
            assertMessage(m, shape, "vq.embedding.weight (expected F32[8, 4], got F32[4, 8])");

            LinkedHashMap<String, Tensor> dtype = other.stateDict();
            dtype.put("encoder.1.num_batches_tracked", Tensor.zeros(DType.F32));
            assertMessage(m, dtype, "encoder.1.num_batches_tracked (expected I32[], got F32[])");

            assertSameState(before, m.stateDict());
        }
    }

    static void assertMessage(Autoencoder m, Map<String, Tensor> sd, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.loadStateDict(sd));
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    @Test
    void loadingMarksAKmeansQuantizerInitialised() {
        ConvVQVAE.Config c = Tiny.convVq(7).withVq(VectorQuantizer.Config.of(8, 4).withKmeansInit(true));
        try (ConvVQVAE a = new ConvVQVAE(B, c); ConvVQVAE b = new ConvVQVAE(B, c)) {
            assertFalse(b.quantizer().isInitialized());
            b.loadStateDict(a.stateDict());
            assertTrue(b.quantizer().isInitialized(), "a loaded codebook is not refitted");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ConvVQVAE", "ConvVAE", "MlpVQVAE", "MlpVAE"})
    void sameSeedSameWeightsAndFirstLoss(String name) {
        Tensor x = Tiny.input(name, 2);
        try (Autoencoder a = Tiny.build(name, B, 11); Autoencoder b = Tiny.build(name, B, 11);
             Autoencoder c = Tiny.build(name, B, 12)) {
            assertSameState(a.stateDict(), b.stateDict());
            assertFalse(java.util.Arrays.equals(a.parameters().get(0).value().toFloatArray(),
                    c.parameters().get(0).value().toFloatArray()), "another seed gives other weights");
            StepResult ra = a.forwardBackward(x), rb = b.forwardBackward(x);
            assertEquals(Float.floatToIntBits(ra.total().item()), Float.floatToIntBits(rb.total().item()));
            for (int i = 0; i < a.parameters().size(); i++) {
                Parameter pa = a.parameters().get(i), pb = b.parameters().get(i);
                if (pa.grad() != null) assertArrayEquals(pa.grad().toFloatArray(), pb.grad().toFloatArray(), pa.name());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ConvVQVAE", "ConvVAE", "MlpVQVAE", "MlpVAE"})
    void closeFreesEverythingTheModelHeld(String name) {
        Tensor x = Tiny.input(name, 3);
        Autoencoder m = Tiny.build(name, B, 3);
        trainSteps(m, x, 2);
        StepResult r = m.forwardBackward(x);
        Tensor out = m.reconstruct(x);
        r = m.forwardBackward(x); // reconstruct freed the previous step's results
        List<Tensor> held = new ArrayList<>();
        for (Parameter p : m.parameters()) {
            held.add(p.value());
            if (p.grad() != null) held.add(p.grad());
            if (p.adamM() != null) held.add(p.adamM());
            if (p.adamV() != null) held.add(p.adamV());
        }
        for (Buffer b : m.buffers()) held.add(b.value());
        for (Tensor t : new Tensor[] {r.total(), r.reconstruction(), r.vqLosses(), r.kl(), r.codeCounts()}) {
            if (t != null) held.add(t);
        }
        assertTrue(held.stream().noneMatch(Tensor::isClosed), "all open before close");
        m.close();
        for (Tensor t : held) assertTrue(t.isClosed(), "still open after close: " + t);
        assertFalse(x.isClosed(), "the input is the caller's");
        assertFalse(out.isClosed(), "a reconstruction is the caller's");
        m.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> m.forwardBackward(x));
    }

    @Test
    void stepResultsAreReplacedNotAccumulated() {
        Tensor x = Tiny.input("ConvVQVAE", 4);
        try (ConvVQVAE m = new ConvVQVAE(B, Tiny.convVq(4))) {
            StepResult r1 = m.forwardBackward(x);
            Tensor g1 = m.parameters().get(0).grad();
            StepResult r2 = m.forwardBackward(x);
            assertTrue(r1.total().isClosed() && r1.reconstruction().isClosed() && r1.vqLosses().isClosed()
                    && r1.codeCounts().isClosed() && g1.isClosed(), "the previous step's tensors are freed");
            assertFalse(r2.total().isClosed());
            assertEquals(1, r2.total().numel());
            assertEquals(2, r2.vqLosses().numel());
            assertEquals(8, r2.codeCounts().numel());
            int[] counts = r2.codeCounts().toIntArray();
            assertEquals(4 * 2 * 2, java.util.Arrays.stream(counts).sum(), "one code per latent position");
            // total = recon + codebook + beta * commitment
            float[] vq = r2.vqLosses().toFloatArray();
            assertEquals(r2.reconstruction().item() + vq[0] + 0.25 * vq[1], r2.total().item(), 1e-6);
        }
    }

    @Test
    void vaeTotalIsReconstructionPlusWeightedKl() {
        Tensor x = Tiny.input("MlpVAE", 5);
        try (MlpVAE m = new MlpVAE(B, Tiny.mlpVae(5))) {
            StepResult r = m.forwardBackward(x);
            assertNull(r.vqLosses());
            assertNull(r.codeCounts());
            assertEquals(r.reconstruction().item() + 0.1 * r.kl().item(), r.total().item(), 1e-5 * r.total().item());
            // the reconstruction is a sum over elements, not a mean: it is far above a per-element error
            assertTrue(r.reconstruction().item() > 1);
        }
    }

    @Test
    void vqEncodeDecodeMatchesReconstruct() {
        Tensor x = Tiny.input("ConvVQVAE", 6);
        try (ConvVQVAE m = new ConvVQVAE(B, Tiny.convVq(6))) {
            trainSteps(m, x, 2);
            try (Tensor idx = m.encode(x); Tensor y = m.decode(idx); Tensor r = m.reconstruct(x)) {
                assertArrayEquals(new int[] {4, 2, 2}, idx.shape());
                assertEquals(DType.I32, idx.dtype());
                float[] a = y.toFloatArray(), b = r.toFloatArray();
                // decode feeds zq, reconstruct z + (zq - z): equal up to that rounding
                for (int i = 0; i < a.length; i++) assertEquals(b[i], a[i], 1e-4, "element " + i);
            }
            assertTrue(m.isTraining(), "inference restores the training mode");
        }
        Tensor rows = Tiny.input("MlpVQVAE", 7);
        try (MlpVQVAE m = new MlpVQVAE(B, Tiny.mlpVq(7)); Tensor idx = m.encode(rows); Tensor y = m.decode(idx)) {
            assertArrayEquals(new int[] {16}, idx.shape());
            assertArrayEquals(new int[] {16, 8}, y.shape());
        }
    }

    @Test
    void vaeEncodeDecodeMatchesReconstruct() {
        Tensor x = Tiny.input("ConvVAE", 8);
        try (ConvVAE m = new ConvVAE(B, Tiny.convVae(8))) {
            trainSteps(m, x, 2);
            try (Posterior p = m.encode(x); Tensor y = m.decode(p.mu()); Tensor r = m.reconstruct(x)) {
                assertArrayEquals(new int[] {4, 4, 2, 2}, p.mu().shape());
                assertArrayEquals(new int[] {4, 4, 2, 2}, p.logvar().shape());
                assertArrayEquals(r.toFloatArray(), y.toFloatArray(), "reconstruct decodes the mean");
            }
        }
    }

    @Test
    void badInputsAndModes() {
        try (ConvVQVAE m = new ConvVQVAE(B, Tiny.convVq(9))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.forwardBackward(Tensor.zeros(DType.F32, 2, 3, 12, 12)));
            assertTrue(e.getMessage().contains("[2, 3, 12, 12]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> m.reconstruct(Tensor.zeros(DType.F32, 2, 1, 16, 16)));
            m.train(false);
            assertThrows(IllegalStateException.class, () -> m.forwardBackward(Tiny.input("ConvVQVAE", 1)));
        }
        try (MlpVAE m = new MlpVAE(B, Tiny.mlpVae(9))) {
            assertThrows(IllegalArgumentException.class, () -> m.forwardBackward(Tensor.zeros(DType.F32, 4, 7)));
        }
        assertThrows(IllegalArgumentException.class, () -> new ConvVQVAE.Config(3, List.of(4, 8), VectorQuantizer.Config.of(8, 4), 0));
    }
}
