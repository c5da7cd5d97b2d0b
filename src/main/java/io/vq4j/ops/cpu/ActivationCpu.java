package io.vq4j.ops.cpu;

/**
 * Elementwise activations and their backward passes on float arrays, in parallel chunks.
 * Backward passes take what PyTorch saves: the output for relu, tanh and sigmoid, the input for
 * leaky relu. tanh and sigmoid are evaluated in double and rounded once.
 */
public final class ActivationCpu {
    private ActivationCpu() {}

    private static final int GRAIN = 1 << 15;

    public static void relu(float[] x, float[] y) {
        Parallel.forRange(x.length, GRAIN, (lo, hi) -> {
            for (int i = lo; i < hi; i++) y[i] = Math.max(x[i], 0f);
        });
    }

    /** dx = y > 0 ? dy : 0 (PyTorch's threshold_backward on the output). */
    public static void reluBackward(float[] dy, float[] y, float[] dx) {
        Parallel.forRange(dy.length, GRAIN, (lo, hi) -> {
            for (int i = lo; i < hi; i++) dx[i] = y[i] > 0f ? dy[i] : 0f;
        });
    }

    public static void leakyRelu(float[] x, float slope, float[] y) {
        Parallel.forRange(x.length, GRAIN, (lo, hi) -> {
            for (int i = lo; i < hi; i++) y[i] = x[i] > 0f ? x[i] : x[i] * slope;
        });
    }

    /** dx = x > 0 ? dy : slope * dy. */
    public static void leakyReluBackward(float[] dy, float[] x, float slope, float[] dx) {
        Parallel.forRange(dy.length, GRAIN, (lo, hi) -> {
            for (int i = lo; i < hi; i++) dx[i] = x[i] > 0f ? dy[i] : dy[i] * slope;
        });
    }

    public static void tanh(float[] x, float[] y) {
        Parallel.forRange(x.length, GRAIN, (lo, hi) -> {
            for (int i = lo; i < hi; i++) y[i] = (float) Math.tanh(x[i]);
        });
    }

    /** dx = dy * (1 - y^2). */
    public static void tanhBackward(float[] dy, float[] y, float[] dx) {
        Parallel.forRange(dy.length, GRAIN, (lo, hi) -> {
            for (int i = lo; i < hi; i++) dx[i] = dy[i] * (1f - y[i] * y[i]);
        });
    }

    public static void sigmoid(float[] x, float[] y) {
        Parallel.forRange(x.length, GRAIN, (lo, hi) -> {
            for (int i = lo; i < hi; i++) y[i] = (float) (1.0 / (1.0 + Math.exp(-(double) x[i])));
        });
    }

    /** dx = dy * y * (1 - y). */
    public static void sigmoidBackward(float[] dy, float[] y, float[] dx) {
        Parallel.forRange(dy.length, GRAIN, (lo, hi) -> {
            for (int i = lo; i < hi; i++) dx[i] = dy[i] * y[i] * (1f - y[i]);
        });
    }
}
