package io.vq4j.data;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * A decoded BufferedImage to float planes in [0, 1] with 1 or 3 channels. Grey images are read from
 * their raster, not through getRGB, because getRGB converts grey through Java's linear-grey colour
 * space and brightens mid-greys; every other image goes through getRGB (sRGB, alpha dropped like
 * PIL's convert("RGB")). RGB to grey is ITU-R 601 luma, PIL's convert("L").
 */
final class ImageDecode {
    private ImageDecode() {}

    /** The image as {@code channels} planes of its own height x width. */
    static float[] planes(BufferedImage img, int channels) {
        int w = img.getWidth(), h = img.getHeight(), hw = w * h;
        float[] out = new float[channels * hw];
        ColorModel cm = img.getColorModel();
        if (!(cm instanceof IndexColorModel) && cm.getNumColorComponents() == 1) {
            Raster r = img.getRaster();
            float scale = (float) (1.0 / ((1L << cm.getComponentSize(0)) - 1));
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) out[y * w + x] = row[x] * scale;
            }
            for (int c = 1; c < channels; c++) System.arraycopy(out, 0, out, c * hw, hw);
            return out;
        }
        int[] argb = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, argb, 0, w);
            for (int x = 0; x < w; x++) {
                int p = argb[x], i = y * w + x;
                float red = ((p >>> 16) & 0xFF) / 255f, green = ((p >>> 8) & 0xFF) / 255f, blue = (p & 0xFF) / 255f;
                if (channels == 3) {
                    out[i] = red;
                    out[hw + i] = green;
                    out[2 * hw + i] = blue;
                } else {
                    out[i] = 0.299f * red + 0.587f * green + 0.114f * blue;
                }
            }
        }
        return out;
    }
}
