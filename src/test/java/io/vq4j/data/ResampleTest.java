package io.vq4j.data;

import io.vq4j.TestData;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class ResampleTest {
    /** Bilinear, half-pixel centres, edge-clamped, in double: the PyTorch align_corners=False definition. */
    static double[] bilinearRef(float[] src, int c, int sh, int sw, int dh, int dw) {
        double[] out = new double[c * dh * dw];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < dh; y++) {
                double sy = Math.max(0, (y + 0.5) * sh / dh - 0.5);
                int y0 = Math.min((int) sy, sh - 1), y1 = Math.min(y0 + 1, sh - 1);
                double fy = Math.min(sy, sh - 1) - y0;
                for (int x = 0; x < dw; x++) {
                    double sx = Math.max(0, (x + 0.5) * sw / dw - 0.5);
                    int x0 = Math.min((int) sx, sw - 1), x1 = Math.min(x0 + 1, sw - 1);
                    double fx = Math.min(sx, sw - 1) - x0;
                    int p = ch * sh * sw;
                    out[ch * dh * dw + y * dw + x] = (1 - fy) * ((1 - fx) * src[p + y0 * sw + x0] + fx * src[p + y0 * sw + x1])
                            + fy * ((1 - fx) * src[p + y1 * sw + x0] + fx * src[p + y1 * sw + x1]);
                }
            }
        }
        return out;
    }

    static float[] resize(float[] src, int c, int sh, int sw, int dh, int dw) {
        float[] dst = new float[c * dh * dw];
        java.util.Arrays.fill(dst, TestData.POISON);
        Resample.resize(src, 0, c, dst, 0, Resample.axis(sh, dh), Resample.axis(sw, dw));
        return dst;
    }

    @Test
    void bilinearMatchesTheDoubleReference() {
        // every case shrinks an axis by at most 2x (beyond that the area path takes over)
        int[][] cases = {{28, 28, 32, 32}, {5, 7, 13, 4}, {1, 1, 4, 4}, {28, 28, 20, 20}, {3, 64, 3, 40}, {10, 10, 10, 10}};
        long seed = System.nanoTime();
        for (int[] k : cases) {
            float[] src = TestData.uniform(seed, 3 * k[0] * k[1], 0, 1);
            float[] got = resize(src, 3, k[0], k[1], k[2], k[3]);
            double err = 0;
            double[] ref = bilinearRef(src, 3, k[0], k[1], k[2], k[3]);
            for (int i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(got[i] - ref[i]));
            assertTrue(err < 1e-6, "bilinear " + java.util.Arrays.toString(k) + " seed " + seed + " maxErr " + err);
        }
    }

    @Test
    void shrinkingMoreThanTwiceAveragesAreas() {
        long seed = System.nanoTime();
        // 64 -> 8 exactly: each output is the mean of an 8x8 block
        float[] src = TestData.uniform(seed, 2 * 64 * 64, 0, 1);
        float[] got = resize(src, 2, 64, 64, 8, 8);
        for (int c = 0; c < 2; c++) {
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    double s = 0;
                    for (int i = 0; i < 8; i++) for (int j = 0; j < 8; j++) s += src[c * 4096 + (8 * y + i) * 64 + 8 * x + j];
                    assertEquals(s / 64, got[c * 64 + y * 8 + x], 1e-5, "seed " + seed);
                }
            }
        }
        // 10 -> 3: output 0 covers [0, 3.333): pixels 0,1,2 fully and a third of pixel 3
        float[] row = new float[10];
        for (int i = 0; i < 10; i++) row[i] = i;
        float[] r = resize(row, 1, 1, 10, 1, 3);
        assertEquals((0 + 1 + 2 + 3 / 3.0) / (10 / 3.0), r[0], 1e-5);
        assertEquals(4.5, r[1], 1e-5); // the middle window is symmetric about 4.5
        // a constant image stays constant under any resize
        float[] flat = new float[37 * 23];
        java.util.Arrays.fill(flat, 0.25f);
        for (float v : resize(flat, 1, 37, 23, 4, 50)) assertEquals(0.25f, v, 1e-6);
    }
}
