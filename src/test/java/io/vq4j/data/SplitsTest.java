package io.vq4j.data;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class SplitsTest {
    @Test
    void splitIsAPartitionOfTheRightSizesAndDeterministic() {
        SyntheticImages d = new SyntheticImages(1003, 3, 8, 8, 0);
        Splits.TrainValidation s = Splits.trainValidation(d, 0.1, 5);
        assertEquals(100, s.validation().size());
        assertEquals(903, s.train().size());
        boolean[] seen = new boolean[d.size()];
        for (Subset part : new Subset[] {s.train(), s.validation()}) {
            int[] idx = part.indices();
            for (int k = 0; k < idx.length; k++) {
                assertFalse(seen[idx[k]], "index " + idx[k] + " twice");
                seen[idx[k]] = true;
                if (k > 0) assertTrue(idx[k] > idx[k - 1], "indices not increasing");
            }
        }
        for (int i = 0; i < seen.length; i++) assertTrue(seen[i], "index " + i + " in neither half");

        Splits.TrainValidation again = Splits.trainValidation(new SyntheticImages(1003, 3, 8, 8, 0), 0.1, 5);
        assertArrayEquals(s.validation().indices(), again.validation().indices());
        int[] other = Splits.trainValidation(d, 0.1, 6).validation().indices();
        assertFalse(Arrays.equals(s.validation().indices(), other), "seeds 5 and 6 give the same split");
        // not just the first or last tenth
        int[] v = s.validation().indices();
        assertTrue(v[0] < 100 && v[v.length - 1] > 900, Arrays.toString(v));
    }

    @Test
    void viewsReadTheBaseImages() {
        SyntheticImages d = new SyntheticImages(50, 1, 8, 8, 2);
        Subset val = Splits.trainValidation(d, 0.2, 1).validation();
        float[] a = new float[64], b = new float[64];
        for (int k = 0; k < val.size(); k++) {
            val.read(k, a, 0);
            d.read(val.baseIndex(k), b, 0);
            assertArrayEquals(b, a);
            assertEquals(-1, val.label(k));
        }
        assertEquals(d.name() + "-val", val.name());
        assertEquals(64, val.imageSize());
        assertEquals(0, Splits.trainValidation(d, 0.0, 1).validation().size());
    }

    @Test
    void badArgumentsAreClearErrors() {
        SyntheticImages d = new SyntheticImages(3, 1, 8, 8, 2);
        var e = assertThrows(IllegalArgumentException.class, () -> Splits.trainValidation(d, 1.0, 0));
        assertTrue(e.getMessage().contains("validationFraction") && e.getMessage().contains("1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Splits.trainValidation(d, 0.9, 0));
        assertTrue(e.getMessage().contains("no training image"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Subset(d, new int[] {0, 3}, "x"));
        assertTrue(e.getMessage().contains("indices[1] = 3"), e.getMessage());
    }
}
