package io.vq4j.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class LossChartTest {
    @TempDir Path dir;

    @Test
    void writesAPngOfTheExpectedSize() throws IOException {
        assertEquals("true", System.getProperty("java.awt.headless", "true"));
        Path p = dir.resolve("loss.png");
        double[] train = new double[30], val = new double[30];
        for (int i = 0; i < 30; i++) {
            train[i] = 1.0 / (i + 1);
            val[i] = 1.2 / (i + 1) + 0.01;
        }
        for (boolean log : new boolean[] {false, true}) {
            LossChart.write(p, train, val, log);
            assertPng(p);
        }
        assertTrue(System.getProperty("java.awt.headless") != null, "headless was set");
    }

    @Test
    void awkwardCurves() throws IOException {
        Path p = dir.resolve("loss.png");
        LossChart.write(p, new double[] {0.5}, null, true);                                   // one epoch, no validation
        assertPng(p);
        LossChart.write(p, new double[] {3, Double.NaN, 1, Double.POSITIVE_INFINITY, 0.5}, new double[] {2.5}, false);
        assertPng(p);
        LossChart.write(p, new double[] {-120.5, -130, -131}, new double[] {-100, -101}, true); // log impossible: linear
        assertPng(p);
        LossChart.write(p, new double[] {0.2, 0.1}, new double[] {0.3, 0.0}, true);
        assertPng(p);
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary files left");
        }
    }

    @Test
    void nothingToPlotIsAnError() {
        Path p = dir.resolve("loss.png");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LossChart.write(p, new double[] {Double.NaN}, new double[0], false));
        assertTrue(e.getMessage().contains("nothing to plot"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LossChart.write(p, null, null, false));
        assertFalse(Files.exists(p));
    }

    private static void assertPng(Path p) throws IOException {
        byte[] head = new byte[8];
        try (var in = Files.newInputStream(p)) {
            assertEquals(8, in.read(head));
        }
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}, head, "PNG signature");
        BufferedImage img = ImageIO.read(p.toFile());
        assertNotNull(img);
        assertEquals(LossChart.WIDTH, img.getWidth());
        assertEquals(LossChart.HEIGHT, img.getHeight());
        // Something was drawn: not a single flat colour.
        int first = img.getRGB(0, 0);
        boolean varied = false;
        for (int y = 0; y < img.getHeight() && !varied; y += 7) {
            for (int x = 0; x < img.getWidth() && !varied; x += 7) varied = img.getRGB(x, y) != first;
        }
        assertTrue(varied, "the chart has content");
    }
}
