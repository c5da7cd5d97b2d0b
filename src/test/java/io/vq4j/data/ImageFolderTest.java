package io.vq4j.data;

import io.vq4j.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class ImageFolderTest {
    @TempDir
    Path tmp;

    /** Half a quantisation step: ImageFolder keeps resized images as bytes. */
    static final double Q = 0.5 / 255 + 1e-6;

    static BufferedImage rgb(long seed, int w, int h) {
        SplittableRandom r = new SplittableRandom(seed);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, r.nextInt(1 << 24));
        return img;
    }

    static BufferedImage grey(long seed, int w, int h) {
        SplittableRandom r = new SplittableRandom(seed);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.getRaster().setSample(x, y, 0, r.nextInt(256));
        return img;
    }

    static void write(BufferedImage img, String format, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        assertTrue(ImageIO.write(img, format, file.toFile()), "no writer for " + format);
    }

    private static float[] read(Dataset d, int i) {
        float[] a = new float[d.imageSize()];
        java.util.Arrays.fill(a, TestData.POISON);
        d.read(i, a, 0);
        return a;
    }

    /** A folder with two classes, a file at the root, a JPEG, a non-image and a corrupt PNG. */
    private Path mixedFolder(long seed) throws IOException {
        Path root = tmp.resolve("mixed");
        write(rgb(seed, 10, 6), "png", root.resolve("cats/a.png"));
        BufferedImage red = new BufferedImage(10, 6, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 6; y++) for (int x = 0; x < 10; x++) red.setRGB(x, y, 0xC81E1E);
        write(red, "jpg", root.resolve("cats/B.JPG"));
        write(grey(seed + 1, 10, 6), "png", root.resolve("dogs/c.png"));
        write(rgb(seed + 2, 10, 6), "jpeg", root.resolve("dogs/sub/d.jpeg"));
        write(rgb(seed + 3, 10, 6), "png", root.resolve("root.png"));
        Files.writeString(root.resolve("notes.txt"), "not an image");
        byte[] junk = new byte[300];
        new SplittableRandom(seed).nextBytes(junk);
        Files.write(root.resolve("dogs/broken.png"), junk);
        return root;
    }

    @Test
    void skipPolicyLeavesOutTheCorruptFileAndListsIt() throws IOException {
        long seed = System.nanoTime();
        Path root = mixedFolder(seed);
        ImageFolder d = ImageFolder.open(root, 3, 6, 10, BadFilePolicy.SKIP);
        assertEquals(5, d.size());
        // path order with '/' separators, String order (capitals first)
        List<String> expected = List.of("cats/B.JPG", "cats/a.png", "dogs/c.png", "dogs/sub/d.jpeg", "root.png");
        for (int i = 0; i < 5; i++) assertEquals(Path.of(expected.get(i)), d.file(i));
        assertEquals(List.of("cats", "dogs"), d.classNames());
        assertArrayEquals(new int[] {0, 0, 1, 1, -1}, new int[] {d.label(0), d.label(1), d.label(2), d.label(3), d.label(4)});
        assertEquals(1, d.skipped().size());
        assertEquals(root.resolve("dogs/broken.png"), d.skipped().getFirst().file());
        assertFalse(d.skipped().getFirst().reason().isBlank());

        // a same-size PNG comes back exactly, as v / 255
        BufferedImage a = rgb(seed, 10, 6);
        float[] got = read(d, 1);
        for (int y = 0; y < 6; y++) {
            for (int x = 0; x < 10; x++) {
                int p = a.getRGB(x, y);
                assertEquals(((p >> 16) & 0xFF) / 255.0, got[y * 10 + x], 1e-7, "seed " + seed);
                assertEquals(((p >> 8) & 0xFF) / 255.0, got[60 + y * 10 + x], 1e-7, "seed " + seed);
                assertEquals((p & 0xFF) / 255.0, got[120 + y * 10 + x], 1e-7, "seed " + seed);
            }
        }
        // grey -> RGB: the grey level in all three channels, not brightened by a colour-space conversion
        BufferedImage g = grey(seed + 1, 10, 6);
        float[] c = read(d, 2);
        for (int y = 0; y < 6; y++) {
            for (int x = 0; x < 10; x++) {
                double v = g.getRaster().getSample(x, y, 0) / 255.0;
                for (int ch = 0; ch < 3; ch++) assertEquals(v, c[ch * 60 + y * 10 + x], 1e-7, "grey seed " + seed);
            }
        }
        // the JPEG decodes near its flat colour (lossy)
        float[] jpg = read(d, 0);
        assertEquals(0xC8 / 255.0, jpg[25], 0.06);
        assertEquals(0x1E / 255.0, jpg[60 + 25], 0.06);
    }

    @Test
    void failPolicyNamesTheCorruptFile() throws IOException {
        Path root = mixedFolder(3);
        IOException e = assertThrows(IOException.class, () -> ImageFolder.open(root, 3, 6, 10, BadFilePolicy.FAIL));
        assertTrue(e.getMessage().contains(root.resolve("dogs/broken.png").toString()), e.getMessage());
    }

    @Test
    void colourToGreyIsLuma() throws IOException {
        long seed = System.nanoTime();
        Path root = tmp.resolve("grey");
        write(rgb(seed, 7, 5), "png", root.resolve("x.png"));
        ImageFolder d = ImageFolder.open(root, 1, 5, 7, BadFilePolicy.FAIL);
        assertEquals(1, d.channels());
        assertEquals(-1, d.label(0));
        assertEquals(List.of(), d.classNames());
        BufferedImage img = rgb(seed, 7, 5);
        float[] got = read(d, 0);
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 7; x++) {
                int p = img.getRGB(x, y);
                double luma = (0.299 * ((p >> 16) & 0xFF) + 0.587 * ((p >> 8) & 0xFF) + 0.114 * (p & 0xFF)) / 255;
                assertEquals(luma, got[y * 7 + x], Q, "seed " + seed);
            }
        }
    }

    @Test
    void resizesBilinearlyOrByAreaAndReadsSixteenBitGrey() throws IOException {
        long seed = System.nanoTime();
        Path root = tmp.resolve("resize");
        BufferedImage big = grey(seed, 64, 64);
        write(big, "png", root.resolve("big.png"));
        float[] src = new float[64 * 64];
        for (int p = 0; p < src.length; p++) src[p] = big.getRaster().getSample(p % 64, p / 64, 0) / 255f;

        float[] area = read(ImageFolder.open(root, 1, 8, 8, BadFilePolicy.FAIL), 0);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                double s = 0;
                for (int i = 0; i < 8; i++) for (int j = 0; j < 8; j++) s += src[(8 * y + i) * 64 + 8 * x + j];
                assertEquals(s / 64, area[y * 8 + x], Q, "area seed " + seed);
            }
        }
        double[] ref = ResampleTest.bilinearRef(src, 1, 64, 64, 40, 48);
        float[] bil = read(ImageFolder.open(root, 1, 40, 48, BadFilePolicy.FAIL), 0);
        double err = 0;
        for (int i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(bil[i] - ref[i]));
        assertTrue(err <= Q, "bilinear maxErr " + err + " seed " + seed);

        Path deep = tmp.resolve("deep");
        BufferedImage g16 = new BufferedImage(3, 2, BufferedImage.TYPE_USHORT_GRAY);
        int[] levels = {0, 0x8080, 0xFFFF, 0x4000, 0x0101, 0xC000};
        for (int p = 0; p < 6; p++) g16.getRaster().setSample(p % 3, p / 3, 0, levels[p]);
        write(g16, "png", deep.resolve("g16.png"));
        float[] g = read(ImageFolder.open(deep, 1, 2, 3, BadFilePolicy.FAIL), 0);
        for (int p = 0; p < 6; p++) assertEquals(levels[p] / 65535.0, g[p], Q, "16-bit level " + levels[p]);
    }

    @Test
    void emptyMissingOrAllBadFoldersAreClearErrors() throws IOException {
        Path empty = tmp.resolve("empty");
        Files.createDirectories(empty.resolve("sub"));
        Files.writeString(empty.resolve("sub/readme.txt"), "no images here");
        IOException e = assertThrows(IOException.class, () -> ImageFolder.open(empty, 3, 8, 8, BadFilePolicy.SKIP));
        assertTrue(e.getMessage().contains(empty.toString()) && e.getMessage().contains("no PNG or JPEG"), e.getMessage());

        Path missing = tmp.resolve("missing");
        e = assertThrows(NoSuchFileException.class, () -> ImageFolder.open(missing, 3, 8, 8, BadFilePolicy.SKIP));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());

        Path bad = tmp.resolve("bad");
        Files.createDirectories(bad);
        Files.writeString(bad.resolve("x.jpg"), "not a jpeg");
        e = assertThrows(IOException.class, () -> ImageFolder.open(bad, 3, 8, 8, BadFilePolicy.SKIP));
        assertTrue(e.getMessage().contains("none of the 1") && e.getMessage().contains("x.jpg"), e.getMessage());

        assertThrows(IllegalArgumentException.class, () -> ImageFolder.open(bad, 2, 8, 8, BadFilePolicy.SKIP));
        assertThrows(IllegalArgumentException.class, () -> ImageFolder.open(bad, 3, 8, 8, null));
    }
}
