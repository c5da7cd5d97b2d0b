package io.vq4j.io;

import io.vq4j.TestData;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class ImageGridTest {
    @TempDir Path dir;
    private final long seed = System.nanoTime();

    @Test
    void comparisonOfEightMnistDigits() throws IOException {
        int n = 8, h = 28, w = 28;
        float[] orig = TestData.uniform(seed, n * h * w, -1, 1), rec = TestData.uniform(seed + 1, n * h * w, -1, 1);
        Path p = dir.resolve("recon.png");
        ImageGrid.writeComparison(p, Tensor.of(orig, n, 1, h, w), Tensor.of(rec, n, 1, h, w), 8, PixelRange.SIGNED);
        BufferedImage img = ImageIO.read(p.toFile());
        assertEquals(8 * 112 + 7 * 2, img.getWidth(), "28 px is drawn x4, 2 px gaps");
        assertEquals(2 * 112 + 2, img.getHeight(), "one row of originals over one of reconstructions");
        for (int i = 0; i < n; i++) {
            for (int y : new int[] {0, 13, 27}) {
                for (int x : new int[] {0, 5, 27}) {
                    int px = i * 114 + 4 * x + 3, py = 4 * y + 2; // any pixel of the 4x4 block
                    assertLevel(orig[(i * h + y) * w + x], -1, 1, grey(img, px, py), "original " + i + " seed=" + seed);
                    assertLevel(rec[(i * h + y) * w + x], -1, 1, grey(img, px, 114 + py), "reconstruction " + i + " seed=" + seed);
                }
            }
            if (i < n - 1) assertEquals(255, grey(img, i * 114 + 112, 50), "gap");
        }
        assertEquals(255, grey(img, 50, 112), "gap between the rows");
    }

    @Test
    void awkwardCountsAndRgb() throws IOException {
        int n = 13, c = 3, h = 5, w = 3; // 13 images, 8 per row: 2 pairs of rows, the second pair half empty
        float[] orig = TestData.uniform(seed, n * c * h * w, 0, 1), rec = TestData.uniform(seed + 2, n * c * h * w, 0, 1);
        Path p = dir.resolve("rgb.png");
        ImageGrid.writeComparison(p, Tensor.of(orig, n, c, h, w), Tensor.of(rec, n, c, h, w), 8, PixelRange.UNIT);
        BufferedImage img = ImageIO.read(p.toFile());
        int s = 25; // 128 / 5
        assertEquals(s, ImageGrid.scaleFor(h, w));
        assertEquals(8 * s * w + 7 * 2, img.getWidth());
        assertEquals(4 * s * h + 3 * 2, img.getHeight());
        // Image 12 is the 5th of the second pair of rows; its reconstruction is the row below it.
        int x0 = 4 * (s * w + 2), yOrig = 2 * (s * h + 2), yRec = 3 * (s * h + 2);
        int rgb = img.getRGB(x0 + s * 2, yOrig + s * 4);
        int rgbRec = img.getRGB(x0 + s * 2, yRec + s * 4);
        for (int ch = 0; ch < 3; ch++) {
            int idx = ((12 * c + ch) * h + 4) * w + 2;
            assertLevel(orig[idx], 0, 1, (rgb >> (16 - 8 * ch)) & 255, "channel " + ch + " seed=" + seed);
            assertLevel(rec[idx], 0, 1, (rgbRec >> (16 - 8 * ch)) & 255, "channel " + ch + " seed=" + seed);
        }
        assertEquals(0xFFFFFF, img.getRGB(img.getWidth() - 1, img.getHeight() - 1) & 0xFFFFFF, "empty cells are background");
    }

    @Test
    void plainGridAndScales() throws IOException {
        Path p = dir.resolve("samples.png");
        ImageGrid.write(p, Tensor.of(TestData.uniform(seed, 16 * 64 * 64, 0, 1), 16, 1, 64, 64), 4, PixelRange.UNIT);
        BufferedImage img = ImageIO.read(p.toFile());
        assertEquals(4 * 128 + 3 * 2, img.getWidth());
        assertEquals(4 * 128 + 3 * 2, img.getHeight());
        assertEquals(4, ImageGrid.scaleFor(28, 28));
        assertEquals(4, ImageGrid.scaleFor(32, 32));
        assertEquals(2, ImageGrid.scaleFor(64, 64));
        assertEquals(1, ImageGrid.scaleFor(200, 100));
        ImageGrid.write(p, Tensor.of(new float[] {0.5f}, 1, 1, 1, 1), 8, PixelRange.UNIT);
        assertEquals(128, ImageIO.read(p.toFile()).getWidth(), "one 1x1 image, one column");
    }

    @Test
    void badArguments() {
        Path p = dir.resolve("bad.png");
        Tensor a = Tensor.of(new float[2 * 4], 2, 1, 2, 2), b = Tensor.of(new float[3 * 4], 3, 1, 2, 2);
        String m = assertThrows(IllegalArgumentException.class,
                () -> ImageGrid.writeComparison(p, a, b, 8, PixelRange.UNIT)).getMessage();
        assertTrue(m.contains("same shape"), m);
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.write(p, a, 0, PixelRange.UNIT));
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.write(p, Tensor.of(new float[8], 1, 2, 2, 2), 1, PixelRange.UNIT));
        assertThrows(IllegalArgumentException.class, () -> new PixelRange(1, 1));
        assertFalse(Files.exists(p));
    }

    /**
     * The 8-bit level a value in [lo, hi] is drawn as: scaled, clamped, rounded half up. Within
     * float rounding of a half-way point either neighbour is right.
     */
    private static void assertLevel(float v, double lo, double hi, int actual, String what) {
        double x = Math.min(1, Math.max(0, (v - lo) / (hi - lo))) * 255;
        int level = (int) Math.floor(x + 0.5);
        boolean halfway = Math.abs(x - Math.floor(x) - 0.5) < 1e-3;
        if (halfway && (actual == (int) Math.floor(x) || actual == (int) Math.floor(x) + 1)) return;
        assertEquals(level, actual, what + " value " + v);
    }

    private static int grey(BufferedImage img, int x, int y) {
        return img.getRaster().getSample(x, y, 0);
    }
}
