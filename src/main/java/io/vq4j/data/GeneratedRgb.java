package io.vq4j.data;

/**
 * What the generated datasets ({@link SyntheticImages}, {@link SyntheticTiles}) share: their
 * argument checks, and drawing in RGB, turned into one luma channel when 1 channel is asked for.
 */
final class GeneratedRgb {
    private GeneratedRgb() {}

    /** Draws image {@code index} as RGB planes at dst[off], dst[off + hw], dst[off + 2 hw]. */
    @FunctionalInterface
    interface Renderer {
        void render(int index, float[] dst, int off, int hw);
    }

    static void checkShape(int count, int channels, int height, int width, int minSide) {
        if (count < 1) throw new IllegalArgumentException("count must be >= 1, got " + count);
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        if (height < minSide || width < minSide) {
            throw new IllegalArgumentException("height and width must be >= " + minSide + ", got " + height + "x" + width);
        }
        if ((long) channels * height * width > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException("image " + channels + "x" + height + "x" + width + " is too large");
        }
    }

    /** {@link Dataset#read} for a generated RGB image: the planes, or their luma for a 1-channel set. */
    static void read(Dataset d, int index, float[] dst, int offset, Renderer renderer) {
        Dataset.checkRead(d, index, dst, offset);
        int hw = d.height() * d.width();
        if (d.channels() == 3) {
            renderer.render(index, dst, offset, hw);
            return;
        }
        float[] rgb = new float[3 * hw];
        renderer.render(index, rgb, 0, hw);
        for (int p = 0; p < hw; p++) {
            // ITU-R 601 luma, the weights of PIL's convert("L"), so 1-channel sets match common tools
            dst[offset + p] = 0.299f * rgb[p] + 0.587f * rgb[hw + p] + 0.114f * rgb[2 * hw + p];
        }
    }
}
