package io.vq4j.model.codec;

import io.vq4j.model.Autoencoder;
import io.vq4j.model.Checkpoint;
import io.vq4j.model.ModelKind;
import io.vq4j.model.ModelSpec;
import io.vq4j.model.VqAutoencoder;
import io.vq4j.nn.Backend;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The codec on the CPU backend: the model's own answers bit for bit, shapes, and bad input. */
class VqCodecTest {
    @TempDir static Path dir;
    static Backend backend;
    static ModelSpec convSpec, mlpSpec;
    static VqAutoencoder conv, mlp;
    static Path convFile, mlpFile;

    @BeforeAll
    static void models() throws Exception {
        backend = Backend.cpu();
        convSpec = CodecFixtures.smallConv(16, 7);
        convFile = dir.resolve("conv.safetensors");
        conv = (VqAutoencoder) CodecFixtures.buildAndSave(convFile, convSpec, backend, 11);
        mlpSpec = ModelSpec.defaults(ModelKind.MLP_VQVAE, 1, 8, 5);
        mlpFile = dir.resolve("mlp.safetensors");
        mlp = (VqAutoencoder) CodecFixtures.buildAndSave(mlpFile, mlpSpec, backend, 13);
    }

    @AfterAll
    static void free() {
        if (conv != null) conv.close();
        if (mlp != null) mlp.close();
        if (backend != null) backend.close();
    }

    static CodecOptions cpu() { return CodecOptions.defaults().withBackend("cpu"); }

    @Test
    void shapesComeFromTheCheckpoint() throws Exception {
        try (VqCodec c = VqCodec.open(convFile, cpu())) {
            assertArrayEquals(new int[] {3, 16, 16}, c.imageShape());
            assertArrayEquals(new int[] {2, 2}, c.codeGridShape());
            assertEquals(64, c.numCodes());
            assertEquals("cpu", c.backendName());
        }
        try (VqCodec c = VqCodec.open(mlpFile, cpu())) {
            assertArrayEquals(new int[] {1, 8, 8}, c.imageShape());
            assertArrayEquals(new int[] {1}, c.codeGridShape());
            assertEquals(16, c.numCodes());
        }
    }

    @Test
    void convEncodeAndDecodeAreTheModelsBitForBit() throws Exception {
        matchesTheModel(convFile, convSpec, conv, 4);
    }

    @Test
    void mlpEncodeAndDecodeAreTheModelsBitForBit() throws Exception {
        matchesTheModel(mlpFile, mlpSpec, mlp, 1);
    }

    private static void matchesTheModel(Path file, ModelSpec spec, VqAutoencoder model, int g) throws Exception {
        int n = spec.channels() * spec.height() * spec.width();
        try (VqCodec c = VqCodec.open(file, cpu())) {
            int k = c.numCodes();
            SplittableRandom r = new SplittableRandom(3);
            java.util.Set<Integer> seen = new java.util.HashSet<>();
            for (int t = 0; t < 6; t++) {
                float[] img = CodecFixtures.image(100 + t, n);
                int[] want;
                try (Tensor idx = model.encode(Tensor.of(CodecFixtures.modelRange(spec, img), spec.batchShape(1)))) {
                    want = idx.toIntArray();
                }
                assertEquals(g, want.length);
                for (int w : want) seen.add(w);
                float[] before = img.clone();
                assertArrayEquals(want, c.encode(img), spec.kind() + " encode, image " + t);
                assertArrayEquals(before, img, "encode must not modify its input");

                int[] codes = r.ints(g, 0, k).toArray();
                int[] shape = g == 1 ? new int[] {1} : new int[] {1, c.codeGridShape()[0], c.codeGridShape()[1]};
                float[] y;
                try (Tensor out = model.decode(Tensor.ofInts(codes.clone(), shape))) {
                    y = out.toFloatArray();
                }
                float[] got = c.decode(codes);
                assertArrayEquals(CodecFixtures.unitRange(spec, y), got, spec.kind() + " decode, codes " + Arrays.toString(codes));
                for (float v : got) assertTrue(v >= 0f && v <= 1f, "decode output " + v + " outside [0, 1]");
            }
            assertTrue(seen.size() > 1, "every image got the same code: the comparison would prove little");
        }
    }

    @Test
    void aListIsTheSameAsOneByOneAndAsTheModelsBatch() throws Exception {
        int n = 3 * 16 * 16, b = 5;
        List<float[]> images = new ArrayList<>();
        float[] stacked = new float[b * n];
        for (int i = 0; i < b; i++) {
            float[] img = CodecFixtures.image(200 + i, n);
            images.add(img);
            System.arraycopy(CodecFixtures.modelRange(convSpec, img), 0, stacked, i * n, n);
        }
        int[] batchCodes;
        try (Tensor idx = conv.encode(Tensor.of(stacked, convSpec.batchShape(b)))) {
            batchCodes = idx.toIntArray();
        }
        try (VqCodec c = VqCodec.open(convFile, cpu().withMaxDelay(Duration.ofMillis(50)))) {
            List<int[]> got = c.encode(images);
            for (int i = 0; i < b; i++) {
                assertArrayEquals(Arrays.copyOfRange(batchCodes, 4 * i, 4 * i + 4), got.get(i), "image " + i);
                assertArrayEquals(got.get(i), c.encode(images.get(i)), "one by one, image " + i);
            }
            List<float[]> back = c.decode(got);
            for (int i = 0; i < b; i++) assertArrayEquals(back.get(i), c.decode(got.get(i)), "decode one by one, " + i);
        }
    }

    @Test
    void badInputIsAClearErrorInTheCallersThread() throws Exception {
        try (VqCodec c = VqCodec.open(convFile, cpu())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.encode((float[]) null));
            assertTrue(e.getMessage().contains("image must not be null"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> c.encode(new float[767]));
            assertTrue(e.getMessage().contains("image has 767 values") && e.getMessage().contains("768"), e.getMessage());
            float[] nan = new float[768];
            nan[42] = Float.NaN;
            e = assertThrows(IllegalArgumentException.class, () -> c.encodeAsync(nan));
            assertTrue(e.getMessage().contains("image[42] = NaN"), e.getMessage());
            float[] inf = new float[768];
            inf[767] = Float.NEGATIVE_INFINITY;
            e = assertThrows(IllegalArgumentException.class, () -> c.encode(inf));
            assertTrue(e.getMessage().contains("image[767]"), e.getMessage());

            e = assertThrows(IllegalArgumentException.class, () -> c.decode((int[]) null));
            assertTrue(e.getMessage().contains("codes must not be null"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> c.decode(new int[5]));
            assertTrue(e.getMessage().contains("codes has 5 codes, expected 4") && e.getMessage().contains("[2, 2]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> c.decodeAsync(new int[] {0, 1, 64, 2}));
            assertTrue(e.getMessage().contains("codes[2] = 64 is outside [0, 64)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> c.decode(new int[] {-1, 0, 0, 0}));
            assertTrue(e.getMessage().contains("codes[0] = -1"), e.getMessage());

            List<float[]> images = new ArrayList<>(List.of(new float[768], new float[768], new float[10]));
            e = assertThrows(IllegalArgumentException.class, () -> c.encode(images));
            assertTrue(e.getMessage().contains("images[2] has 10 values"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> c.decode(List.of(new int[4], new int[] {0, 0, 0, 99})));
            assertTrue(e.getMessage().contains("codes[1][3] = 99"), e.getMessage());
            assertEquals(0, c.stats().requests(), "nothing bad (nor its valid neighbours in a list) reached a batch");
            // and the codec still works
            assertEquals(4, c.encode(new float[768]).length);
        }
    }

    @Test
    void aVaeCheckpointIsRefused() throws Exception {
        ModelSpec spec = ModelSpec.defaults(ModelKind.VAE, 1, 8, 3);
        Path file = dir.resolve("vae.safetensors");
        try (Autoencoder m = spec.build(backend)) {
            Checkpoint.save(file, spec, m);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VqCodec.open(file, cpu()));
        assertTrue(e.getMessage().contains("vae.safetensors") && e.getMessage().contains("holds a vae model")
                && e.getMessage().contains("VQ model"), e.getMessage());
    }

    @Test
    void badOptionsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> cpu().withMaxBatch(0));
        assertThrows(IllegalArgumentException.class, () -> cpu().withMaxDelay(Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> cpu().withMaxDelay(Duration.ofHours(1)));
        assertThrows(IllegalArgumentException.class, () -> cpu().withQueueCapacity(0));
        assertThrows(IllegalArgumentException.class, () -> cpu().withWhenFull(null));
        assertThrows(IllegalArgumentException.class, () -> VqCodec.open(null, cpu()));
        assertThrows(IllegalArgumentException.class, () -> VqCodec.open(convFile, null));
    }
}
