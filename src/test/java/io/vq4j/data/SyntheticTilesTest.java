package io.vq4j.data;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static io.vq4j.data.GeneratedDatasetAssertions.read;
import static org.junit.jupiter.api.Assertions.*;

class SyntheticTilesTest {
    @Test
    void sameImageFromEveryInstanceAndDifferentSeedsDiffer() {
        GeneratedDatasetAssertions.sameImageFromEveryInstanceAndDifferentSeedsDiffer(
                seed -> new SyntheticTiles(1_000_000, 3, 32, 32, seed));
    }

    @Test
    void pinnedChecksumsGuardAgainstSilentChangesOfTheData() {
        // A regression guard: runs trained on image i are compared across versions and machines.
        // If the generator is changed on purpose, update these.
        SyntheticTiles s = new SyntheticTiles(100_000, 3, 32, 32, 0);
        assertEquals(CHECKSUM_0, SyntheticImagesTest.checksum(read(s, 0)), "checksum of image 0");
        assertEquals(CHECKSUM_12345, SyntheticImagesTest.checksum(read(s, 12345)), "checksum of image 12345");
    }

    static final long CHECKSUM_0 = -3321022844040095579L, CHECKSUM_12345 = -4330329787734204763L;

    /** Every 8x8 tile mixes at most two palette colours along one line in RGB: its background and its motif. */
    @Test
    void eachTileIsOneBackgroundAndOneMotifColour() {
        for (int side : new int[] {8, 13, 32, 207}) {
            SyntheticTiles s = new SyntheticTiles(40, 3, side, side, 3);
            int hw = side * side;
            for (int i = 0; i < s.size(); i++) {
                float[] x = read(s, i);
                for (int ty = 0; ty < side; ty += SyntheticTiles.TILE) {
                    for (int tx = 0; tx < side; tx += SyntheticTiles.TILE) {
                        Set<String> pure = new HashSet<>();
                        for (int y = ty; y < Math.min(side, ty + 8); y++) {
                            for (int x2 = tx; x2 < Math.min(side, tx + 8); x2++) {
                                int p = y * side + x2;
                                float r = x[p], g = x[hw + p], b = x[2 * hw + p];
                                assertTrue(r >= 0 && r <= 1 && g >= 0 && g <= 1 && b >= 0 && b <= 1, "pixel out of [0, 1]");
                                if (isPalette(r, g, b)) pure.add(r + "," + g + "," + b);
                            }
                        }
                        assertTrue(pure.size() <= 2, "tile (" + ty + ", " + tx + ") of image " + i + " at side " + side
                                + " has " + pure.size() + " palette colours: " + pure);
                    }
                }
            }
        }
    }

    private static boolean isPalette(float r, float g, float b) {
        for (int c = 0; c < 8; c++) {
            float[] p = paletteColour(c);
            if (p[0] == r && p[1] == g && p[2] == b) return true;
        }
        return false;
    }

    /** The palette as the generator draws it: a flat tile of colour c on image channel planes. */
    private static float[] paletteColour(int c) {
        // motif 0 (a disc) fully covers the tile centre, so the centre pixel is the foreground colour
        return new float[] {PALETTE[c][0], PALETTE[c][1], PALETTE[c][2]};
    }

    private static final float[][] PALETTE = {
        {0.10f, 0.10f, 0.14f}, {0.94f, 0.92f, 0.85f}, {0.86f, 0.18f, 0.16f}, {0.20f, 0.36f, 0.86f},
        {0.96f, 0.78f, 0.16f}, {0.18f, 0.66f, 0.30f}, {0.62f, 0.26f, 0.70f}, {0.20f, 0.76f, 0.80f},
    };

    @Test
    void theDefaultVocabularyFitsTheDefaultCodebookAndIsUsed() {
        SyntheticTiles s = new SyntheticTiles(2000, 3, 32, 32, 0);
        assertEquals(246, s.tileKinds());
        assertTrue(s.tileKinds() < 512, "more tile kinds than codes");
        // tiles are varied: many distinct 8x8 tiles across the set, but never more than the vocabulary
        Set<Integer> seen = new HashSet<>();
        int hw = 32 * 32;
        for (int i = 0; i < s.size(); i++) {
            float[] x = read(s, i);
            for (int ty = 0; ty < 32; ty += 8) {
                for (int tx = 0; tx < 32; tx += 8) {
                    int h = 17;
                    for (int c = 0; c < 3; c++) {
                        for (int y = ty; y < ty + 8; y++) {
                            for (int x2 = tx; x2 < tx + 8; x2++) h = 31 * h + Float.floatToIntBits(x[c * hw + y * 32 + x2]);
                        }
                    }
                    seen.add(h);
                }
            }
        }
        assertTrue(seen.size() > 200 && seen.size() <= s.tileKinds(), "distinct tiles: " + seen.size());
    }

    @Test
    void everyMotifCoversBetweenNothingAndEverything() {
        for (int m = 0; m < SyntheticTiles.MOTIFS; m++) {
            float sum = 0;
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    float a = SyntheticTiles.cover(m, y, x);
                    assertTrue(a >= 0 && a <= 1, "motif " + m + " at " + y + "," + x + ": " + a);
                    sum += a;
                }
            }
            assertTrue(sum > 8 && sum < 56, "motif " + m + " covers " + sum + " of 64 pixels");
        }
    }

    @Test
    void oneChannelIsTheLumaOfTheRgbImage() {
        SyntheticTiles rgb = new SyntheticTiles(10, 3, 16, 24, 5), grey = new SyntheticTiles(10, 1, 16, 24, 5);
        float[] c = read(rgb, 4), l = read(grey, 4);
        int hw = 16 * 24;
        for (int p = 0; p < hw; p++) {
            assertEquals(0.299f * c[p] + 0.587f * c[hw + p] + 0.114f * c[2 * hw + p], l[p], 0f);
        }
    }

    @Test
    void badArgumentsNameTheArgument() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SyntheticTiles(0, 3, 32, 32, 0))
                .getMessage().contains("count"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SyntheticTiles(1, 2, 32, 32, 0))
                .getMessage().contains("channels must be 1 or 3, got 2"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SyntheticTiles(1, 3, 7, 32, 0))
                .getMessage().contains("7x32"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SyntheticTiles(1, 3, 32, 32, 0, 9, 8))
                .getMessage().contains("paletteSize"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SyntheticTiles(1, 3, 32, 32, 0, 6, 0))
                .getMessage().contains("motifs"));
    }
}
