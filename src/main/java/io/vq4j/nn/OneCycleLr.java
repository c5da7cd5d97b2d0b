package io.vq4j.nn;

/**
 * PyTorch's {@code OneCycleLR} (two phases, cosine annealing, cycle_momentum=True):
 * initial_lr = max_lr / div_factor, min_lr = initial_lr / final_div_factor; phase 1 ends at step
 * {@code pct_start * total_steps - 1} and anneals lr initial -> max and beta1 max_momentum ->
 * base_momentum; phase 2 ends at {@code total_steps - 1} and anneals lr max -> min and beta1 back
 * to max_momentum. Annealing is {@code end + (start - end)/2 * (cos(pi * pct) + 1)} with
 * {@code pct = (step - phase_start) / (phase_end - phase_start)}, in double as in Python.
 * Steps past {@code total_steps} are an error, as in PyTorch.
 */
public record OneCycleLr(double maxLr, long totalSteps, double pctStart, double divFactor, double finalDivFactor,
                         double baseMomentum, double maxMomentum) implements LrSchedule {

    public OneCycleLr {
        if (!(maxLr > 0) || Double.isInfinite(maxLr)) throw new IllegalArgumentException("maxLr must be finite and > 0, got " + maxLr);
        if (!(pctStart > 0 && pctStart < 1)) throw new IllegalArgumentException("pctStart must be in (0, 1), got " + pctStart);
        if (!(divFactor > 0) || !(finalDivFactor > 0)) {
            throw new IllegalArgumentException("divFactor and finalDivFactor must be > 0, got " + divFactor + ", " + finalDivFactor);
        }
        if (!(baseMomentum >= 0 && baseMomentum < 1 && maxMomentum >= 0 && maxMomentum < 1)) {
            throw new IllegalArgumentException("momenta must be in [0, 1), got " + baseMomentum + ", " + maxMomentum);
        }
        double end1 = pctStart * totalSteps - 1;
        // PyTorch would divide by zero on an empty phase; say why instead
        if (!(end1 > 0) || !(totalSteps - 1 > end1)) {
            throw new IllegalArgumentException("totalSteps " + totalSteps + " with pctStart " + pctStart
                    + " leaves an empty phase (phase 1 ends at step " + end1 + ", phase 2 at " + (totalSteps - 1) + ")");
        }
    }

    /** PyTorch's defaults: pct_start 0.3, div_factor 25, final_div_factor 1e4, momenta 0.85 .. 0.95. */
    public static OneCycleLr of(double maxLr, long totalSteps) {
        return new OneCycleLr(maxLr, totalSteps, 0.3, 25.0, 1e4, 0.85, 0.95);
    }

    public double initialLr() { return maxLr / divFactor; }

    public double minLr() { return initialLr() / finalDivFactor; }

    @Override
    public double lr(long step) {
        double end1 = phase1End(step);
        return step <= end1 ? anneal(initialLr(), maxLr, step / end1)
                : anneal(maxLr, minLr(), (step - end1) / (totalSteps - 1 - end1));
    }

    @Override
    public double beta1(long step, double base) {
        double end1 = phase1End(step);
        return step <= end1 ? anneal(maxMomentum, baseMomentum, step / end1)
                : anneal(baseMomentum, maxMomentum, (step - end1) / (totalSteps - 1 - end1));
    }

    private double phase1End(long step) {
        if (step < 0 || step > totalSteps) {
            throw new IllegalArgumentException("step " + step + " is outside [0, totalSteps = " + totalSteps + "]");
        }
        return pctStart * totalSteps - 1;
    }

    private static double anneal(double start, double end, double pct) {
        return end + (start - end) / 2.0 * (Math.cos(Math.PI * pct) + 1);
    }
}
