package io.vq4j.data;

import io.vq4j.TestData;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class AugmentTest {
    static final int C = 3, H = 9, W = 7, N = C * H * W, OFF = 5;

    /** A random image at OFF inside a larger array whose margins hold a sentinel. */
    static float[] image(long seed) {
        float[] a = new float[OFF + N + 4];
        Arrays.fill(a, -7f);
        System.arraycopy(TestData.uniform(seed, N, 0, 1), 0, a, OFF, N);
        return a;
    }

    static void assertMarginsUntouched(float[] a) {
        for (int i = 0; i < OFF; i++) assertEquals(-7f, a[i]);
        for (int i = OFF + N; i < a.length; i++) assertEquals(-7f, a[i]);
    }

    @Test
    void flipMirrorsRowsExactly() {
        long seed = System.nanoTime();
        float[] a = image(seed), orig = a.clone();
        Augment.flipHorizontal(a, OFF, C, H, W);
        for (int c = 0; c < C; c++) {
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    assertEquals(orig[OFF + (c * H + y) * W + W - 1 - x], a[OFF + (c * H + y) * W + x], "seed " + seed);
                }
            }
        }
        assertMarginsUntouched(a);
        Augment.flipHorizontal(a, OFF, C, H, W);
        assertArrayEquals(orig, a);
    }

    @Test
    void rotationByZeroIsTheIdentity() {
        float[] a = image(1), orig = a.clone();
        Augment.rotate(a, OFF, C, H, W, 0.0);
        assertArrayEquals(orig, a);
    }

    @Test
    void quarterAndHalfTurnsMoveWholePixels() {
        long seed = System.nanoTime();
        int n = 6;
        float[] sq = TestData.uniform(seed, 2 * n * n, 0, 1), r = sq.clone();
        Augment.rotate(r, 0, 2, n, n, 90.0);
        for (int c = 0; c < 2; c++) {
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    // counter-clockwise as displayed: the top-right corner moves to the top-left
                    assertEquals(sq[c * n * n + x * n + (n - 1 - y)], r[c * n * n + y * n + x], 1e-5, "90 deg seed " + seed);
                }
            }
        }
        float[] a = image(seed), half = a.clone();
        Augment.rotate(half, OFF, C, H, W, 180.0);
        for (int c = 0; c < C; c++) {
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    assertEquals(a[OFF + (c * H + H - 1 - y) * W + W - 1 - x], half[OFF + (c * H + y) * W + x], 1e-5,
                            "180 deg seed " + seed);
                }
            }
        }
        assertMarginsUntouched(half);
    }

    @Test
    void smallRotationMatchesADoubleReferenceWithZeroBorder() {
        long seed = System.nanoTime();
        for (double deg : new double[] {7.3, -10.0, 2.5}) {
            float[] a = image(seed), got = a.clone();
            Augment.rotate(got, OFF, C, H, W, deg);
            double t = Math.toRadians(deg), cx = (W - 1) / 2.0, cy = (H - 1) / 2.0, worst = 0;
            for (int c = 0; c < C; c++) {
                for (int y = 0; y < H; y++) {
                    for (int x = 0; x < W; x++) {
                        // inverse map of a counter-clockwise turn in y-down pixel coordinates
                        double sx = cx + (x - cx) * Math.cos(t) - (y - cy) * Math.sin(t);
                        double sy = cy + (x - cx) * Math.sin(t) + (y - cy) * Math.cos(t);
                        int x0 = (int) Math.floor(sx), y0 = (int) Math.floor(sy);
                        double ref = 0;
                        for (int dy = 0; dy < 2; dy++) {
                            for (int dx = 0; dx < 2; dx++) {
                                int xx = x0 + dx, yy = y0 + dy;
                                if (xx < 0 || xx >= W || yy < 0 || yy >= H) continue;
                                double w = (dx == 1 ? sx - x0 : 1 - (sx - x0)) * (dy == 1 ? sy - y0 : 1 - (sy - y0));
                                ref += w * a[OFF + (c * H + yy) * W + xx];
                            }
                        }
                        worst = Math.max(worst, Math.abs(ref - got[OFF + (c * H + y) * W + x]));
                    }
                }
            }
            assertTrue(worst < 1e-5, deg + " deg maxErr " + worst + " seed " + seed);
            assertMarginsUntouched(got);
        }
    }

    @Test
    void colourJitterMatchesDoubleReferences() {
        long seed = System.nanoTime();
        int hw = H * W;
        float[] a = image(seed);
        for (float f : new float[] {0.8f, 1.17f}) {
            float[] b = a.clone();
            Augment.adjustBrightness(b, OFF, N, f);
            for (int i = 0; i < N; i++) assertEquals(clamp(a[OFF + i] * (double) f), b[OFF + i], 1e-6, "brightness seed " + seed);
            assertMarginsUntouched(b);

            float[] c = a.clone();
            Augment.adjustContrast(c, OFF, C, H, W, f);
            double mean = 0;
            for (int p = 0; p < hw; p++) mean += luma(a, OFF + p, hw);
            mean /= hw;
            for (int i = 0; i < N; i++) {
                assertEquals(clamp(mean + (a[OFF + i] - mean) * f), c[OFF + i], 1e-5, "contrast seed " + seed);
            }

            float[] s = a.clone();
            Augment.adjustSaturation(s, OFF, H, W, f);
            for (int p = 0; p < hw; p++) {
                double g = luma(a, OFF + p, hw);
                for (int ch = 0; ch < 3; ch++) {
                    int i = OFF + ch * hw + p;
                    assertEquals(clamp(g + (a[i] - g) * f), s[i], 1e-5, "saturation seed " + seed);
                }
            }
        }
        // a grey image's contrast centres on its plain mean
        float[] g = TestData.uniform(seed, 20, 0, 1), g2 = g.clone();
        Augment.adjustContrast(g2, 0, 1, 4, 5, 0.5f);
        double m = 0;
        for (float v : g) m += v / 20.0;
        for (int i = 0; i < 20; i++) assertEquals(m + (g[i] - m) * 0.5, g2[i], 1e-6);
    }

    static double luma(float[] a, int i, int hw) {
        return 0.299 * a[i] + 0.587 * a[i + hw] + 0.114 * a[i + 2 * hw];
    }

    static double clamp(double v) {
        return Math.min(1, Math.max(0, v));
    }

    @Test
    void drawsDependOnSeedEpochAndIndexOnly() {
        Augment aug = Augment.reference(42);
        float[] a = image(3);
        float[] x = a.clone(), y = a.clone();
        aug.apply(x, OFF, C, H, W, 3, 17);
        aug.apply(y, OFF, C, H, W, 3, 17);
        assertArrayEquals(x, y);
        assertMarginsUntouched(x);
        for (int i = OFF; i < OFF + N; i++) assertTrue(x[i] >= 0 && x[i] <= 1, "value " + x[i]);
        float[] otherEpoch = a.clone(), otherIndex = a.clone(), otherSeed = a.clone();
        aug.apply(otherEpoch, OFF, C, H, W, 4, 17);
        aug.apply(otherIndex, OFF, C, H, W, 3, 18);
        Augment.reference(43).apply(otherSeed, OFF, C, H, W, 3, 17);
        assertFalse(Arrays.equals(x, otherEpoch));
        assertFalse(Arrays.equals(x, otherIndex));
        assertFalse(Arrays.equals(x, otherSeed));
        assertFalse(Arrays.equals(x, a), "the reference augmentations changed nothing");
    }

    @Test
    void flipHappensAboutHalfTheTimeAndNoneChangesNothing() {
        Augment flipOnly = new Augment(true, 0, 0, 0, 0, 9);
        float[] a = image(4);
        int flips = 0;
        for (int i = 0; i < 2000; i++) {
            float[] b = a.clone();
            flipOnly.apply(b, OFF, C, H, W, 0, i);
            if (!Arrays.equals(a, b)) flips++;
        }
        // Binomial(2000, 0.5): sd 22; +-100 is 4.5 sd
        assertTrue(flips > 900 && flips < 1100, flips + " flips of 2000");
        Augment none = new Augment(false, 0, 0, 0, 0, 9);
        assertTrue(none.isIdentity());
        assertFalse(Augment.reference(0).isIdentity());
        float[] b = a.clone();
        none.apply(b, OFF, C, H, W, 1, 2);
        assertArrayEquals(a, b);
    }

    @Test
    void badParametersAreClearErrors() {
        var e = assertThrows(IllegalArgumentException.class, () -> new Augment(true, -1, 0, 0, 0, 0));
        assertTrue(e.getMessage().contains("maxDegrees") && e.getMessage().contains("-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Augment(true, 10, 1.5f, 0, 0, 0));
        assertTrue(e.getMessage().contains("brightness") && e.getMessage().contains("1.5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Augment(true, Float.NaN, 0, 0, 0, 0));
    }
}
