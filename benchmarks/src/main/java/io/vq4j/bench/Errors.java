package io.vq4j.bench;

/**
 * Element-wise comparison of a GPU result with a reference: counts the elements outside
 * {@code |got - ref| <= rtol * |ref| + atol} (NaN fails), keeps the largest error and the first
 * failure, and turns that into a {@link Check}.
 */
final class Errors {
    private final String what;
    private long failures, compared;
    private double maxAbs, maxRel;
    private String first;

    Errors(String what) { this.what = what; }

    /** Compares one element. */
    void add(long i, double got, double ref, double tol) {
        compared++;
        double err = Math.abs(got - ref);
        if (!(err <= tol)) { // NaN-safe: a NaN error fails
            if (failures++ == 0) first = what + "[" + i + "] = " + got + ", expected " + ref + " (tol " + (float) tol + ")";
        }
        if (err > maxAbs || Double.isNaN(err)) maxAbs = err;
        double rel = err / Math.max(Math.abs(ref), Double.MIN_NORMAL);
        if (rel > maxRel || Double.isNaN(rel)) maxRel = rel;
    }

    /** Compares arrays element-wise with {@code rtol * |ref| + atol}. */
    Errors addAll(long firstIndex, float[] got, float[] ref, double rtol, double atol) {
        for (int i = 0; i < got.length; i++) add(firstIndex + i, got[i], ref[i], rtol * Math.abs(ref[i]) + atol);
        return this;
    }

    double maxAbs() { return maxAbs; }

    Check check() {
        String s = String.format("%s maxAbsErr=%.3g maxRelErr=%.3g over %d", what, maxAbs, maxRel, compared);
        return failures == 0 ? Check.pass(s) : Check.fail(s + ", " + failures + " outside tolerance, first " + first);
    }

    /** The largest |x|, to scale an absolute tolerance. */
    static double maxAbs(float[] a) {
        double m = 0;
        for (float x : a) m = Math.max(m, Math.abs(x));
        return m;
    }
}
