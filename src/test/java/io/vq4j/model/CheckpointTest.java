package io.vq4j.model;

import io.vq4j.TestData;
import io.vq4j.io.SafeTensors;
import io.vq4j.io.SafeTensorsFile;
import io.vq4j.nn.Backend;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Checkpoints: every model kind round-trips bit for bit; bad files never half-load a model. */
class CheckpointTest {
    @TempDir Path dir;

    @Test
    void everyKindRoundTripsAndReproducesItsOutputs() throws Exception {
        try (Backend b = Backend.cpu()) {
            for (ModelKind kind : ModelKind.values()) {
                ModelSpec spec = ModelSpec.defaults(kind, 1, 8, 42);
                Path file = dir.resolve(kind.id() + ".safetensors");
                float[] x = TestData.uniform(3, 2 * 64, kind.signedInputs() ? -1 : 0, 1);
                try (Autoencoder m = spec.build(b)) {
                    m.train(true);
                    m.forwardBackward(Tensor.of(x.clone(), spec.batchShape(2))); // moves BN running stats
                    Checkpoint.save(file, spec, m);
                    float[] want;
                    try (Tensor r = m.reconstruct(Tensor.of(x.clone(), spec.batchShape(2)))) {
                        want = r.toFloatArray();
                    }
                    Checkpoint.Loaded l = Checkpoint.load(file, b);
                    try (Autoencoder m2 = l.model(); Tensor r2 = m2.reconstruct(Tensor.of(x.clone(), spec.batchShape(2)))) {
                        assertEquals(spec, l.spec());
                        assertArrayEquals(want, r2.toFloatArray(), kind + ": reloaded model differs");
                    }
                }
            }
        }
    }

    @Test
    void aMismatchedFileIsAClearErrorAndNoModel() throws Exception {
        try (Backend b = Backend.cpu()) {
            ModelSpec spec = ModelSpec.defaults(ModelKind.VQVAE, 1, 8, 1);
            Path file = dir.resolve("m.safetensors");
            try (Autoencoder m = spec.build(b)) {
                Checkpoint.save(file, spec, m);
            }
            SafeTensorsFile f = SafeTensors.read(file);
            Map<String, Tensor> bad = new LinkedHashMap<>(f.tensors());
            bad.put("vq.embedding.weight", Tensor.zeros(io.vq4j.ops.DType.F32, 512, 32)); // wrong D
            Path badFile = dir.resolve("bad.safetensors");
            SafeTensors.write(badFile, bad, f.metadata());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(badFile, b));
            assertTrue(e.getMessage().startsWith("bad.safetensors: ") && e.getMessage().contains("vq.embedding.weight"), e.getMessage());

            Path plain = dir.resolve("plain.safetensors");
            SafeTensors.write(plain, f.tensors(), Map.of());
            e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(plain, b));
            assertTrue(e.getMessage().contains("not a vq4j checkpoint"), e.getMessage());

            Path cut = dir.resolve("cut.safetensors");
            byte[] all = Files.readAllBytes(file);
            Files.write(cut, java.util.Arrays.copyOf(all, all.length / 2));
            assertThrows(java.io.IOException.class, () -> Checkpoint.load(cut, b));
        }
    }
}
