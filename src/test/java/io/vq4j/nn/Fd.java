package io.vq4j.nn;

import io.vq4j.ops.Tensor;

import java.util.function.DoubleSupplier;

/** Finite differences in double around float32 forwards, for gradient checks. */
final class Fd {
    private Fd() {}

    /** {@code <g, y>} in double. */
    static double dot(float[] g, Tensor y) {
        float[] a = y.toFloatArray();
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) g[i] * a[i];
        return s;
    }

    /** Central differences of {@code loss} over every element of {@code values} (perturbed in place, restored). */
    static double[] grad(float[] values, double h, DoubleSupplier loss) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            float v = values[i];
            float up = (float) (v + h), down = (float) (v - h);
            values[i] = up;
            double lp = loss.getAsDouble();
            values[i] = down;
            double lm = loss.getAsDouble();
            values[i] = v;
            out[i] = (lp - lm) / ((double) up - down);
        }
        return out;
    }
}
