package io.vq4j.data;

import java.util.Arrays;

/** Deterministic train/validation splits of a dataset, as index views. */
public final class Splits {
    private Splits() {}

    /** The two halves of a split; together they hold every image exactly once. */
    public record TrainValidation(Subset train, Subset validation) {}

    /**
     * Puts round(size * validationFraction) images, chosen by a seeded shuffle, in the validation
     * view and the rest in the training view; both list their indices in increasing order. The
     * same (size, fraction, seed) always gives the same split, on every machine.
     *
     * @param validationFraction in [0, 1), leaving at least one training image
     */
    public static TrainValidation trainValidation(Dataset dataset, double validationFraction, long seed) {
        if (dataset == null) throw new IllegalArgumentException("dataset must not be null");
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validationFraction must be in [0, 1), got " + validationFraction);
        }
        int n = dataset.size();
        int nv = (int) Math.round(n * validationFraction);
        if (n - nv < 1) {
            throw new IllegalArgumentException("validationFraction " + validationFraction + " of " + n
                    + " images leaves no training image");
        }
        int[] perm = CounterRng.permutation(n, seed, 0, CounterRng.TAG_SPLIT);
        int[] val = Arrays.copyOfRange(perm, 0, nv), train = Arrays.copyOfRange(perm, nv, n);
        Arrays.sort(val);
        Arrays.sort(train);
        return new TrainValidation(new Subset(dataset, train, dataset.name() + "-train"),
                new Subset(dataset, val, dataset.name() + "-val"));
    }
}
