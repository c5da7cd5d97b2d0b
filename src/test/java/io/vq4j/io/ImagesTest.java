package io.vq4j.io;

import io.vq4j.TestData;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class ImagesTest {
    @TempDir Path dir;
    private final long seed = System.nanoTime();

    // ---- PNG round trips --------------------------------------------------------------------

    @Test
    void pngRoundTripIsExactOnEightBitLevels() throws IOException {
        for (int c : new int[] {1, 3}) {
            int h = 13, w = 7;
            int[] k = TestData.ints(seed + c, c * h * w, 256);
            float[] a = new float[k.length];
            for (int i = 0; i < a.length; i++) a[i] = k[i] / 255f;
            Path p = dir.resolve("img" + c + ".png");
            Images.write(p, Tensor.of(a, c, h, w));
            Tensor back = Images.read(p);
            assertArrayEquals(new int[] {c, h, w}, back.shape());
            assertArrayEquals(a, back.hostFloats(), 0f, "c=" + c + " seed=" + seed);
            BufferedImage img = ImageIO.read(p.toFile()); // an ordinary PNG others can read
            assertEquals(w, img.getWidth());
            assertEquals(h, img.getHeight());
        }
    }

    @Test
    void writeClampsAndRoundsToTheNearestLevel() throws IOException {
        float[] a = {-0.5f, 1.5f, Float.NaN, 0.5f, 0.2f, 1f / 510, 0.999f, 0f};
        Path p = dir.resolve("clamp.png");
        Images.write(p, Tensor.of(a, 1, 2, 4));
        float[] back = Images.read(p).hostFloats();
        double[] ref = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            double v = Double.isNaN(a[i]) ? 0 : Math.min(1, Math.max(0, a[i]));
            ref[i] = Math.floor(v * 255 + 0.5) / 255;
        }
        for (int i = 0; i < a.length; i++) assertEquals(ref[i], back[i], 1e-7, "value " + a[i]);
    }

    // ---- reading other files ------------------------------------------------------------------

    @Test
    void convertsBetweenGreyAndRgb() throws IOException {
        int h = 5, w = 3;
        float[] rgb = levels(seed, 3 * h * w);
        Path p = dir.resolve("rgb.png");
        Images.write(p, Tensor.of(rgb, 3, h, w));
        float[] grey = Images.read(p, 1).hostFloats();
        for (int i = 0; i < h * w; i++) {
            double luma = 0.299 * rgb[i] + 0.587 * rgb[h * w + i] + 0.114 * rgb[2 * h * w + i];
            assertEquals(luma, grey[i], 1e-6, "pixel " + i + " seed=" + seed);
        }
        Path g = dir.resolve("grey.png");
        float[] one = levels(seed + 1, h * w);
        Images.write(g, Tensor.of(one, 1, h, w));
        Tensor three = Images.read(g, 3);
        assertArrayEquals(new int[] {3, h, w}, three.shape());
        for (int c = 0; c < 3; c++) {
            assertArrayEquals(one, Arrays.copyOfRange(three.hostFloats(), c * h * w, (c + 1) * h * w), 0f);
        }
    }

    @Test
    void readsJpeg() throws IOException {
        BufferedImage rgb = new BufferedImage(16, 16, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 16; y++) for (int x = 0; x < 16; x++) rgb.setRGB(x, y, (200 << 16) | (100 << 8) | 50);
        Path p = dir.resolve("photo.jpg");
        assertTrue(ImageIO.write(rgb, "jpg", p.toFile()));
        Tensor t = Images.read(p);
        assertArrayEquals(new int[] {3, 16, 16}, t.shape());
        float[] a = t.hostFloats();
        float[] expect = {200 / 255f, 100 / 255f, 50 / 255f};
        for (int i = 0; i < a.length; i++) assertEquals(expect[i / 256], a[i], 4 / 255f, "pixel " + i);

        BufferedImage grey = new BufferedImage(9, 4, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setSamples(0, 0, 9, 4, 0, filled(36, 77));
        Path g = dir.resolve("grey.jpg");
        assertTrue(ImageIO.write(grey, "jpg", g.toFile()));
        Tensor tg = Images.read(g);
        assertArrayEquals(new int[] {1, 4, 9}, tg.shape());
        for (float v : tg.hostFloats()) assertEquals(77 / 255f, v, 2 / 255f, "grey JPEG samples are not gamma-shifted");
    }

    @Test
    void sixteenBitGreyKeepsItsPrecision() throws IOException {
        BufferedImage img = new BufferedImage(4, 3, BufferedImage.TYPE_USHORT_GRAY);
        int[] v = {0, 1, 257, 1000, 32768, 65534, 65535, 12345, 54321, 2, 3, 4};
        img.getRaster().setSamples(0, 0, 4, 3, 0, v);
        Path p = dir.resolve("deep.png");
        assertTrue(ImageIO.write(img, "png", p.toFile()));
        float[] a = Images.read(p).hostFloats();
        assertEquals(12, a.length);
        for (int i = 0; i < v.length; i++) assertEquals(v[i] / 65535.0, a[i], 1e-7, "sample " + v[i]);
    }

    @Test
    void palettesAndAlpha() throws IOException {
        BufferedImage bw = new BufferedImage(8, 2, BufferedImage.TYPE_BYTE_BINARY); // 1-bit black/white palette
        bw.setRGB(3, 1, 0xFFFFFF);
        Path p = dir.resolve("bw.png");
        assertTrue(ImageIO.write(bw, "png", p.toFile()));
        Tensor t = Images.read(p);
        assertArrayEquals(new int[] {1, 2, 8}, t.shape(), "a grey palette reads as grey");
        float[] expect = new float[16];
        expect[8 + 3] = 1f;
        assertArrayEquals(expect, t.hostFloats(), 0f);

        IndexColorModel red = new IndexColorModel(1, 2, new byte[] {0, (byte) 255}, new byte[] {0, 0}, new byte[] {0, 0});
        BufferedImage pal = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_BINARY, red);
        pal.getRaster().setSample(1, 0, 0, 1);
        Path q = dir.resolve("pal.png");
        assertTrue(ImageIO.write(pal, "png", q.toFile()));
        assertArrayEquals(new float[] {0, 1, 0, 0, 0, 0}, Images.read(q).hostFloats(), 0f);

        BufferedImage argb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0x80FF8000);
        argb.setRGB(1, 0, 0xFF0000FF);
        Path r = dir.resolve("alpha.png");
        assertTrue(ImageIO.write(argb, "png", r.toFile()));
        Tensor ta = Images.read(r);
        assertArrayEquals(new int[] {3, 1, 2}, ta.shape(), "alpha is dropped");
        assertArrayEquals(new float[] {1, 0, 128 / 255f, 0, 0, 1}, ta.hostFloats(), 0f);
    }

    // ---- resizing ---------------------------------------------------------------------------

    @Test
    void resizeMatchesADoubleReference() {
        int[][] cases = {{1, 1, 13, 7}, {13, 7, 1, 1}, {13, 7, 5, 20}, {20, 5, 13, 7}, {3, 4, 3, 4}, {32, 28, 9, 40}, {1, 40, 40, 1}};
        for (int[] s : cases) {
            int c = 3, h = s[0], w = s[1], oh = s[2], ow = s[3];
            float[] in = TestData.uniform(seed, c * h * w, 0, 1);
            float[] out = Images.resize(Tensor.of(in, c, h, w), oh, ow).hostFloats();
            assertEquals(c * oh * ow, out.length);
            double worst = 0;
            for (int ch = 0; ch < c; ch++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double ref = 0;
                        for (int y = 0; y < h; y++) {
                            double wy = weight(h, oh, oy, y);
                            if (wy == 0) continue;
                            for (int x = 0; x < w; x++) ref += wy * weight(w, ow, ox, x) * in[(ch * h + y) * w + x];
                        }
                        worst = Math.max(worst, Math.abs(ref - out[(ch * oh + oy) * ow + ox]));
                    }
                }
            }
            assertTrue(worst < 1e-5, Arrays.toString(s) + " maxErr=" + worst + " seed=" + seed);
        }
    }

    /** Weight of input index i in output index o along one axis of in -> out pixels. */
    private static double weight(int in, int out, int o, int i) {
        double scale = (double) in / out;
        if (out == in) return o == i ? 1 : 0;
        if (out < in) { // area: overlap of [o*scale, (o+1)*scale) with [i, i+1), over the window length
            double lo = o * scale, hi = (o + 1) * scale;
            return Math.max(0, Math.min(hi, i + 1) - Math.max(lo, i)) / scale;
        }
        double src = Math.max(0, (o + 0.5) * scale - 0.5); // bilinear, half-pixel centres
        int i0 = (int) Math.floor(src), i1 = Math.min(i0 + 1, in - 1);
        double f = src - i0;
        return (i == i0 ? 1 - f : 0) + (i == i1 ? f : 0);
    }

    @Test
    void resizeKnownValues() {
        // torch.nn.functional.interpolate([0, 1], size=4, mode='linear', align_corners=False)
        assertArrayEquals(new float[] {0, 0.25f, 0.75f, 1}, Images.resize(Tensor.of(new float[] {0, 1}, 1, 1, 2), 1, 4).hostFloats(), 1e-7f);
        // Integer-factor shrink is the block mean.
        float[] in = TestData.uniform(seed, 2 * 8 * 6, 0, 1);
        float[] out = Images.resize(Tensor.of(in, 2, 8, 6), 4, 2).hostFloats();
        for (int c = 0; c < 2; c++) {
            for (int oy = 0; oy < 4; oy++) {
                for (int ox = 0; ox < 2; ox++) {
                    double sum = 0;
                    for (int y = 2 * oy; y < 2 * oy + 2; y++) for (int x = 3 * ox; x < 3 * ox + 3; x++) sum += in[(c * 8 + y) * 6 + x];
                    assertEquals(sum / 6, out[(c * 4 + oy) * 2 + ox], 1e-6, "seed=" + seed);
                }
            }
        }
        // Constants stay constant both ways.
        float[] k = new float[3 * 17 * 5];
        Arrays.fill(k, 0.37f);
        for (float v : Images.resize(Tensor.of(k, 3, 17, 5), 4, 23).hostFloats()) assertEquals(0.37f, v, 1e-6f);
    }

    @Test
    void readCanResize() throws IOException {
        Path p = dir.resolve("big.png");
        Images.write(p, Tensor.of(levels(seed, 3 * 64 * 48), 3, 64, 48));
        Tensor t = Images.read(p, 1, 28, 28);
        assertArrayEquals(new int[] {1, 28, 28}, t.shape());
    }

    // ---- errors -------------------------------------------------------------------------------

    @Test
    void badFilesNameTheFile() throws IOException {
        Path text = dir.resolve("notes.png");
        Files.writeString(text, "this is not an image at all");
        FileFormatException e = assertThrows(FileFormatException.class, () -> Images.read(text));
        assertTrue(e.getMessage().startsWith("notes.png: not an image"), e.getMessage());

        Path good = dir.resolve("good.png");
        Images.write(good, Tensor.of(TestData.uniform(seed, 3 * 40 * 40, 0, 1), 3, 40, 40));
        byte[] all = Files.readAllBytes(good);
        Path cut = dir.resolve("cut.png");
        Files.write(cut, Arrays.copyOf(all, 60));
        FileFormatException e2 = assertThrows(FileFormatException.class, () -> Images.read(cut));
        assertTrue(e2.getMessage().startsWith("cut.png: cannot read the image"), e2.getMessage());

        assertThrows(NoSuchFileException.class, () -> Images.read(dir.resolve("missing.png")));
    }

    @Test
    void badArgumentsAreIllegalArgumentExceptions() {
        Path p = dir.resolve("x.png");
        assertThrows(IllegalArgumentException.class, () -> Images.read(p, 2));
        String m = assertThrows(IllegalArgumentException.class, () -> Images.write(p, Tensor.of(new float[8], 2, 2, 2))).getMessage();
        assertTrue(m.contains("F32[2, 2, 2]") && m.contains("1 or 3 channels"), m);
        assertThrows(IllegalArgumentException.class, () -> Images.write(p, Tensor.of(new float[4], 4)));
        assertThrows(IllegalArgumentException.class, () -> Images.resize(Tensor.of(new float[4], 1, 2, 2), 0, 3));
        assertFalse(Files.exists(p));
    }

    private static float[] levels(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = r.nextInt(256) / 255f;
        return a;
    }

    private static int[] filled(int n, int v) {
        int[] a = new int[n];
        Arrays.fill(a, v);
        return a;
    }
}
