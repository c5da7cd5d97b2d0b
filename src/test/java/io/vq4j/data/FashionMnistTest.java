package io.vq4j.data;

import io.vq4j.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class FashionMnistTest {
    @TempDir
    Path tmp;

    static byte[] idx(int magic, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length); // big-endian by default
        b.putInt(magic);
        for (int d : dims) b.putInt(d);
        b.put(data);
        return b.array();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(raw);
        }
        return out.toByteArray();
    }

    /** n random 28x28 images and labels 0..9, as raw IDX files. */
    record Files2(byte[] images, byte[] labels, byte[] pixels, byte[] labelValues) {}

    static Files2 sample(long seed, int n) {
        byte[] pixels = new byte[n * 784], labels = new byte[n];
        int[] v = TestData.ints(seed, n * 784, 256);
        for (int i = 0; i < v.length; i++) pixels[i] = (byte) v[i];
        for (int i = 0; i < n; i++) labels[i] = (byte) (i % 10);
        return new Files2(idx(0x803, new int[] {n, 28, 28}, pixels), idx(0x801, new int[] {n}, labels), pixels, labels);
    }

    private Path write(String dirName, String prefix, byte[] images, byte[] labels, boolean gz) throws IOException {
        Path dir = tmp.resolve(dirName);
        Files.createDirectories(dir);
        String ext = gz ? ".gz" : "";
        Files.write(dir.resolve(prefix + "-images-idx3-ubyte" + ext), gz ? gzip(images) : images);
        Files.write(dir.resolve(prefix + "-labels-idx1-ubyte" + ext), gz ? gzip(labels) : labels);
        return dir;
    }

    private static float[] read(Dataset d, int i) {
        float[] a = new float[d.imageSize()];
        Arrays.fill(a, TestData.POISON);
        d.read(i, a, 0);
        return a;
    }

    @Test
    void readsGzippedAndRawFilesAtEverySize() throws IOException {
        long seed = System.nanoTime();
        Files2 f = sample(seed, 13);
        Path gzDir = write("gz", "train", f.images(), f.labels(), true);
        Path rawDir = write("raw", "t10k", f.images(), f.labels(), false);
        for (FashionMnist d : new FashionMnist[] {FashionMnist.open(gzDir, FashionMnist.Split.TRAIN, 28),
                FashionMnist.open(rawDir, FashionMnist.Split.TEST, 28)}) {
            assertEquals(13, d.size());
            assertEquals(1, d.channels());
            assertEquals(10, d.classNames().size());
            for (int i = 0; i < 13; i++) {
                assertEquals(i % 10, d.label(i));
                float[] a = read(d, i);
                for (int p = 0; p < 784; p++) {
                    assertEquals((f.pixels()[i * 784 + p] & 0xFF) / 255.0, a[p], 1e-7, "seed " + seed);
                }
            }
        }
        assertEquals("fashion-mnist-train-28", FashionMnist.open(gzDir, FashionMnist.Split.TRAIN, 28).name());

        // 32: 2 zero pixels on each side, the image unchanged inside
        FashionMnist padded = FashionMnist.open(gzDir, FashionMnist.Split.TRAIN, 32);
        float[] a = read(padded, 12);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                boolean inside = y >= 2 && y < 30 && x >= 2 && x < 30;
                double ref = inside ? (f.pixels()[12 * 784 + (y - 2) * 28 + x - 2] & 0xFF) / 255.0 : 0.0;
                assertEquals(ref, a[y * 32 + x], 1e-7, "padded (" + y + ", " + x + ") seed " + seed);
            }
        }

        // 20: bilinear (28 -> 20 shrinks 1.4x); 7: area (4x4 block means)
        float[] src = new float[784];
        for (int p = 0; p < 784; p++) src[p] = (f.pixels()[5 * 784 + p] & 0xFF) / 255f;
        double[] ref20 = ResampleTest.bilinearRef(src, 1, 28, 28, 20, 20);
        float[] got20 = read(FashionMnist.open(gzDir, FashionMnist.Split.TRAIN, 20), 5);
        double err = 0;
        for (int p = 0; p < 400; p++) err = Math.max(err, Math.abs(got20[p] - ref20[p]));
        assertTrue(err < 1e-6, "size 20 maxErr " + err + " seed " + seed);
        float[] got7 = read(FashionMnist.open(gzDir, FashionMnist.Split.TRAIN, 7), 5);
        for (int y = 0; y < 7; y++) {
            for (int x = 0; x < 7; x++) {
                double s = 0;
                for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) s += src[(4 * y + i) * 28 + 4 * x + j];
                assertEquals(s / 16, got7[y * 7 + x], 1e-6, "size 7 (" + y + ", " + x + ") seed " + seed);
            }
        }
    }

    private IOException corrupt(String name, byte[] images, byte[] labels, boolean gz) throws IOException {
        Path dir = write(name, "train", images, labels, gz);
        return assertThrows(IOException.class, () -> FashionMnist.open(dir, FashionMnist.Split.TRAIN, 28));
    }

    private static void assertMentions(Throwable e, String... parts) {
        System.out.println("[data] error message: " + e.getMessage());
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
    }

    @Test
    void corruptFilesAreClearErrorsNamingTheFile() throws IOException {
        Files2 f = sample(1, 5);
        byte[] pixels = f.pixels();

        IOException e = corrupt("magic", idx(0x804, new int[] {5, 28, 28}, pixels), f.labels(), false);
        assertMentions(e, "train-images-idx3-ubyte", "bad IDX magic 0x00000804", "0x00000803");

        e = corrupt("swapped", f.labels(), f.images(), true);
        assertMentions(e, "train-images-idx3-ubyte.gz", "bad IDX magic 0x00000801");

        e = corrupt("short", idx(0x803, new int[] {5, 28, 28}, Arrays.copyOf(pixels, 4 * 784 + 100)), f.labels(), false);
        assertMentions(e, "train-images-idx3-ubyte", "5 x 28 x 28 = 3920 bytes", "3236 follow", "truncated");

        e = corrupt("long", idx(0x803, new int[] {5, 28, 28}, Arrays.copyOf(pixels, 5 * 784 + 1)), f.labels(), true);
        assertMentions(e, "train-images-idx3-ubyte.gz", "3921 follow");

        e = corrupt("header", new byte[] {0, 0, 8, 3, 0, 0}, f.labels(), false);
        assertMentions(e, "train-images-idx3-ubyte", "too short");

        e = corrupt("size", idx(0x803, new int[] {5, 27, 27}, Arrays.copyOf(pixels, 5 * 729)), f.labels(), false);
        assertMentions(e, "train-images-idx3-ubyte", "27x27");

        byte[] gz = gzip(f.images());
        Path dir = write("truncated", "train", f.images(), f.labels(), true);
        Files.write(dir.resolve("train-images-idx3-ubyte.gz"), Arrays.copyOf(gz, gz.length / 2));
        e = assertThrows(IOException.class, () -> FashionMnist.open(dir, FashionMnist.Split.TRAIN, 28));
        assertMentions(e, "train-images-idx3-ubyte.gz", "truncated gzip");

        byte[] garbled = gz.clone();
        for (int i = 20; i < 60; i++) garbled[i] ^= (byte) 0x5A;
        Files.write(dir.resolve("train-images-idx3-ubyte.gz"), garbled);
        e = assertThrows(IOException.class, () -> FashionMnist.open(dir, FashionMnist.Split.TRAIN, 28));
        assertMentions(e, "train-images-idx3-ubyte.gz", "gzip");

        e = corrupt("count", f.images(), idx(0x801, new int[] {4}, Arrays.copyOf(f.labelValues(), 4)), true);
        assertMentions(e, "train-labels-idx1-ubyte.gz has 4 labels", "has 5 images");

        byte[] badLabel = f.labelValues().clone();
        badLabel[3] = 10;
        e = corrupt("label", f.images(), idx(0x801, new int[] {5}, badLabel), false);
        assertMentions(e, "train-labels-idx1-ubyte", "label 3 is 10");
    }

    @Test
    void missingFolderOrFileSaysWhereItLookedAndHowToGetIt() throws IOException {
        Path nowhere = tmp.resolve("no-such-folder");
        NoSuchFileException e = assertThrows(NoSuchFileException.class,
                () -> FashionMnist.open(nowhere, FashionMnist.Split.TRAIN, 32));
        assertMentions(e, nowhere.toString(), "apt-get install dataset-fashion-mnist", "train-images-idx3-ubyte.gz");

        Files2 f = sample(2, 3);
        Path dir = write("only-train", "train", f.images(), f.labels(), true);
        e = assertThrows(NoSuchFileException.class, () -> FashionMnist.open(dir, FashionMnist.Split.TEST, 28));
        assertMentions(e, dir.resolve("t10k-images-idx3-ubyte.gz").toString(), "apt-get install dataset-fashion-mnist");

        var bad = assertThrows(IllegalArgumentException.class, () -> FashionMnist.open(dir, FashionMnist.Split.TRAIN, 0));
        assertMentions(bad, "size", "0");
    }

    @Test
    void realTrainingSetFromTheDebianPackage() throws IOException {
        Path images = FashionMnist.DEFAULT_DIR.resolve("train-images-idx3-ubyte.gz");
        assumeTrue(Files.isRegularFile(images), "no " + images + " (apt-get install dataset-fashion-mnist provides it)");
        FashionMnist train = FashionMnist.open(null, FashionMnist.Split.TRAIN, 28);
        assertEquals(60_000, train.size());
        int[] perClass = new int[10];
        for (int i = 0; i < train.size(); i++) {
            int l = train.label(i);
            assertTrue(l >= 0 && l <= 9, "label " + i + " = " + l);
            perClass[l]++;
        }
        for (int c = 0; c < 10; c++) assertEquals(6000, perClass[c], "class " + c + " (the train split is balanced)");
        float[] all = new float[train.size() * 784];
        for (int i = 0; i < train.size(); i++) train.read(i, all, i * 784);
        double sum = 0;
        for (float v : all) {
            assertTrue(v >= 0 && v <= 1);
            sum += v;
        }
        // the published pixel mean of the Fashion-MNIST training set is 0.2860
        System.out.printf("[data] fashion-mnist train: %d images, pixel mean %.4f%n", train.size(), sum / all.length);
        assertEquals(0.2860, sum / all.length, 5e-4);
        FashionMnist test = FashionMnist.open(null, FashionMnist.Split.TEST, 32);
        assertEquals(10_000, test.size());
        assertEquals(32, test.height());
    }
}
