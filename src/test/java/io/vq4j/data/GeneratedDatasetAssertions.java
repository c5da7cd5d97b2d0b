package io.vq4j.data;

import java.util.Arrays;
import java.util.function.LongFunction;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** What every generated dataset must satisfy, for the generators' tests. */
final class GeneratedDatasetAssertions {
    private GeneratedDatasetAssertions() {}

    static float[] read(Dataset d, int i) {
        float[] a = new float[d.imageSize()];
        d.read(i, a, 0);
        return a;
    }

    /**
     * {@code make(seed)} builds a 1,000,000-image set: two instances of seed 7 give the same
     * images, read out of order and at an offset (no state between reads), and seed 8 differs.
     */
    static void sameImageFromEveryInstanceAndDifferentSeedsDiffer(LongFunction<Dataset> make) {
        Dataset a = make.apply(7), b = make.apply(7), other = make.apply(8);
        for (int i : new int[] {0, 1, 13, 4096, 999_999}) {
            float[] x = read(a, i);
            float[] y = new float[x.length + 5];
            read(b, (i + 1) % b.size()); // out of order and at an offset: no state between reads
            b.read(i, y, 5);
            assertArrayEquals(x, Arrays.copyOfRange(y, 5, y.length), "image " + i);
            assertFalse(Arrays.equals(x, read(other, i)), "seeds 7 and 8 give the same image " + i);
        }
    }
}
