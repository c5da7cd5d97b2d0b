package io.vq4j.nn;

/**
 * A learning-rate schedule over optimizer steps, 0-based: {@code lr(0)} is the first step's rate
 * (PyTorch's scheduler value before its first {@code scheduler.step()}). A schedule may also
 * cycle Adam's beta1 (OneCycleLR's cycle_momentum); others keep the optimizer's.
 */
public interface LrSchedule {

    /** The learning rate of step {@code step} (0-based). */
    double lr(long step);

    /** Adam's beta1 for step {@code step}; {@code base} (the optimizer's) unless the schedule cycles it. */
    default double beta1(long step, double base) { return base; }

    /** A constant rate. */
    static LrSchedule constant(double lr) { return new ConstantLr(lr); }
}
