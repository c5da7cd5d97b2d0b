package io.vq4j.nn;

/** The same learning rate on every step. */
public record ConstantLr(double value) implements LrSchedule {
    public ConstantLr {
        if (!(value >= 0) || Double.isInfinite(value)) throw new IllegalArgumentException("lr must be finite and >= 0, got " + value);
    }

    @Override
    public double lr(long step) { return value; }
}
