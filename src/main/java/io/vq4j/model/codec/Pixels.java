package io.vq4j.model.codec;

/**
 * The codec's pixel range mapping: callers speak [0, 1]; the conv models take and give [-1, 1]
 * (tanh output), the MLPs [0, 1]. Plain loops over contiguous arrays so C2 vectorises them.
 */
final class Pixels {
    private Pixels() {}

    /** {@code dst[j] = 2 * src[j] - 1}: [0, 1] to the conv models' [-1, 1]. */
    static void toSigned(float[] src, float[] dst) {
        for (int j = 0; j < dst.length; j++) dst[j] = 2f * src[j] - 1f;
    }

    /** {@code dst[j] = clamp((src[off + j] + 1) / 2, 0, 1)}: a conv model's output back to [0, 1]. */
    static void fromSigned(float[] src, int off, float[] dst) {
        for (int j = 0; j < dst.length; j++) dst[j] = Math.min(1f, Math.max(0f, (src[off + j] + 1f) * 0.5f));
    }

    /** {@code dst[j] = clamp(src[off + j], 0, 1)}: an MLP's sigmoid output, clamped against rounding. */
    static void clamp(float[] src, int off, float[] dst) {
        for (int j = 0; j < dst.length; j++) dst[j] = Math.min(1f, Math.max(0f, src[off + j]));
    }
}
