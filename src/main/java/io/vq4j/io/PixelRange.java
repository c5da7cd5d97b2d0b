package io.vq4j.io;

/**
 * The value range a tensor's pixels live in: {@code lo} maps to black and {@code hi} to white
 * when it is drawn; values outside are clamped.
 */
public record PixelRange(float lo, float hi) {
    /** Pixels in [0, 1], as {@link Images#read} gives them. */
    public static final PixelRange UNIT = new PixelRange(0f, 1f);
    /** Pixels in [-1, 1], the usual VAE input normalisation. */
    public static final PixelRange SIGNED = new PixelRange(-1f, 1f);

    public PixelRange {
        if (!Float.isFinite(lo) || !Float.isFinite(hi) || !(lo < hi)) {
            throw new IllegalArgumentException("pixel range [" + lo + ", " + hi + "] must be finite with lo < hi");
        }
    }

    /** {@code v} as an 8-bit level 0..255 (NaN gives 0). */
    int toByte(float v) {
        float u = (v - lo) / (hi - lo);
        if (!(u > 0f)) return 0; // also NaN
        if (u >= 1f) return 255;
        return (int) (u * 255f + 0.5f);
    }
}
