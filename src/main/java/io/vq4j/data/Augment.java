package io.vq4j.data;

/**
 * The reference augmentations, each optional: a random horizontal flip (p = 0.5), a random
 * rotation within +-maxDegrees (bilinear, the border filled with 0), and colour jitter (brightness,
 * contrast and saturation factors drawn from [1 - x, 1 + x], in that order, clamping to [0, 1] after
 * each like torchvision's ColorJitter; saturation needs 3 channels and is skipped for 1).
 *
 * <p>The random draws of image {@code index} in epoch {@code epoch} come from a {@link CounterRng}
 * stream on (seed, index, epoch): the same in every run and whichever worker thread prepares the
 * image. All five numbers are always drawn, so turning one augmentation off leaves the others'
 * draws unchanged.
 *
 * @param flip       random horizontal flip with probability 0.5
 * @param maxDegrees rotation drawn uniformly in [-maxDegrees, maxDegrees], counter-clockwise positive; 0 for none
 * @param brightness brightness factor in [1 - brightness, 1 + brightness]; 0 for none
 * @param contrast   contrast factor in [1 - contrast, 1 + contrast]; 0 for none
 * @param saturation saturation factor in [1 - saturation, 1 + saturation]; 0 for none
 * @param seed       selects the random draws
 */
public record Augment(boolean flip, float maxDegrees, float brightness, float contrast, float saturation, long seed) {
    public Augment {
        if (!(maxDegrees >= 0 && maxDegrees <= 180)) {
            throw new IllegalArgumentException("maxDegrees must be in [0, 180], got " + maxDegrees);
        }
        checkJitter("brightness", brightness);
        checkJitter("contrast", contrast);
        checkJitter("saturation", saturation);
    }

    private static void checkJitter(String name, float v) {
        if (!(v >= 0 && v <= 1)) throw new IllegalArgumentException(name + " must be in [0, 1], got " + v);
    }

    /** The reference set: flip, +-10 degrees, brightness, contrast and saturation +-0.2. */
    public static Augment reference(long seed) {
        return new Augment(true, 10f, 0.2f, 0.2f, 0.2f, seed);
    }

    /** True when no augmentation is on, so the loader can skip it. */
    public boolean isIdentity() {
        return !flip && maxDegrees == 0 && brightness == 0 && contrast == 0 && saturation == 0;
    }

    /** Augments one CHW image at img[offset] in place, with the draws of (seed, epoch, index). */
    public void apply(float[] img, int offset, int channels, int height, int width, int epoch, int index) {
        CounterRng r = new CounterRng(seed, index, epoch, CounterRng.TAG_AUGMENT);
        boolean doFlip = r.nextFloat() < 0.5f;
        float degrees = r.uniform(-maxDegrees, maxDegrees);
        float b = r.uniform(1 - brightness, 1 + brightness);
        float c = r.uniform(1 - contrast, 1 + contrast);
        float s = r.uniform(1 - saturation, 1 + saturation);
        if (flip && doFlip) flipHorizontal(img, offset, channels, height, width);
        if (maxDegrees > 0) rotate(img, offset, channels, height, width, degrees);
        if (brightness > 0) adjustBrightness(img, offset, channels * height * width, b);
        if (contrast > 0) adjustContrast(img, offset, channels, height, width, c);
        if (saturation > 0 && channels == 3) adjustSaturation(img, offset, height, width, s);
    }

    /** Mirrors each row. */
    public static void flipHorizontal(float[] img, int offset, int channels, int height, int width) {
        for (int row = 0; row < channels * height; row++) {
            int a = offset + row * width, z = a + width - 1;
            while (a < z) {
                float t = img[a];
                img[a++] = img[z];
                img[z--] = t;
            }
        }
    }

    /**
     * Rotates counter-clockwise (as displayed, y down) by {@code degrees} about the image centre.
     * Each output pixel samples the input bilinearly at its inverse-rotated position; taps outside
     * the image read 0. At 0 degrees every sample lands exactly on a pixel centre: the identity.
     */
    public static void rotate(float[] img, int offset, int channels, int height, int width, double degrees) {
        int hw = height * width;
        float[] src = new float[channels * hw];
        System.arraycopy(img, offset, src, 0, src.length);
        double rad = StrictMath.toRadians(degrees), cos = StrictMath.cos(rad), sin = StrictMath.sin(rad);
        double cx = (width - 1) / 2.0, cy = (height - 1) / 2.0;
        for (int y = 0; y < height; y++) {
            double dy = y - cy;
            for (int x = 0; x < width; x++) {
                double dx = x - cx;
                double sx = cx + dx * cos - dy * sin, sy = cy + dx * sin + dy * cos;
                int x0 = (int) Math.floor(sx), y0 = (int) Math.floor(sy);
                float fx = (float) (sx - x0), fy = (float) (sy - y0);
                float w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
                boolean in0 = y0 >= 0 && y0 < height, in1 = y0 + 1 >= 0 && y0 + 1 < height;
                boolean ix0 = x0 >= 0 && x0 < width, ix1 = x0 + 1 >= 0 && x0 + 1 < width;
                for (int c = 0; c < channels; c++) {
                    int plane = c * hw;
                    float v = 0f;
                    if (in0 && ix0) v += w00 * src[plane + y0 * width + x0];
                    if (in0 && ix1) v += w01 * src[plane + y0 * width + x0 + 1];
                    if (in1 && ix0) v += w10 * src[plane + (y0 + 1) * width + x0];
                    if (in1 && ix1) v += w11 * src[plane + (y0 + 1) * width + x0 + 1];
                    img[offset + plane + y * width + x] = v;
                }
            }
        }
    }

    /** x -> clamp(x * factor). */
    public static void adjustBrightness(float[] img, int offset, int n, float factor) {
        for (int i = offset; i < offset + n; i++) img[i] = clamp(img[i] * factor);
    }

    /** x -> clamp(mean + (x - mean) * factor), mean being the image's mean grey level (torchvision's choice). */
    public static void adjustContrast(float[] img, int offset, int channels, int height, int width, float factor) {
        int hw = height * width;
        double sum = 0;
        if (channels == 3) {
            for (int p = 0; p < hw; p++) {
                sum += 0.299f * img[offset + p] + 0.587f * img[offset + hw + p] + 0.114f * img[offset + 2 * hw + p];
            }
            sum /= hw;
        } else {
            for (int i = offset; i < offset + channels * hw; i++) sum += img[i];
            sum /= (double) channels * hw;
        }
        float mean = (float) sum, bias = mean * (1 - factor);
        for (int i = offset; i < offset + channels * hw; i++) img[i] = clamp(img[i] * factor + bias);
    }

    /** RGB only: each pixel x -> clamp(grey + (x - grey) * factor), grey its ITU-R 601 luma. */
    public static void adjustSaturation(float[] img, int offset, int height, int width, float factor) {
        int hw = height * width;
        for (int p = 0; p < hw; p++) {
            int r = offset + p, g = r + hw, b = g + hw;
            float grey = 0.299f * img[r] + 0.587f * img[g] + 0.114f * img[b], bias = grey * (1 - factor);
            img[r] = clamp(img[r] * factor + bias);
            img[g] = clamp(img[g] * factor + bias);
            img[b] = clamp(img[b] * factor + bias);
        }
    }

    private static float clamp(float v) {
        return Math.min(1f, Math.max(0f, v));
    }
}
