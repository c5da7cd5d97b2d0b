package io.vq4j.io;

import io.vq4j.ops.DType;
import io.vq4j.ops.Tensor;

import javax.imageio.ImageIO;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Image files to and from float CHW host tensors with values in [0, 1]: reads PNG and JPEG (and
 * whatever else ImageIO reads) as 1 channel when grey, else 3 (RGB; alpha is dropped, as PIL's
 * convert('RGB') does), optionally converted to a channel count and resized; writes 1- or
 * 3-channel PNGs. Samples are taken from the raster as stored (16-bit PNGs keep their
 * precision, grey is not gamma-shifted by Java's colour conversion).
 *
 * <p>Errors: {@link FileFormatException} ("not an image", "cannot read the image") naming the
 * file; NoSuchFileException and other IOExceptions for I/O; IllegalArgumentException for bad
 * arguments.
 */
public final class Images {
    static { Headless.ensure(); }

    private Images() {}

    /** The image at {@code path} as F32 [C, H, W] in [0, 1], C = 1 for grey images, else 3. */
    public static Tensor read(Path path) throws IOException {
        return read(path, 0);
    }

    /**
     * The image as F32 [channels, H, W]: {@code channels} 1 (RGB is converted to luma
     * 0.299 R + 0.587 G + 0.114 B, as PIL's convert('L')), 3 (grey is repeated), or 0 for the
     * file's own.
     */
    public static Tensor read(Path path, int channels) throws IOException {
        if (path == null) throw new IllegalArgumentException("path must not be null");
        if (channels != 0 && channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1, 3 or 0 (the file's own), got " + channels);
        }
        BufferedImage img = decode(path);
        int h = img.getHeight(), w = img.getWidth();
        if ((long) h * w * 3 > Tensor.MAX_HOST_ELEMENTS) {
            throw new FileFormatException(path, "image of " + w + "x" + h + " is too large for a host tensor");
        }
        float[] planes = pixels(img); // [native C, H, W]
        int nativeC = planes.length / (h * w);
        int c = channels == 0 ? nativeC : channels;
        return Tensor.of(convert(planes, nativeC, c, h * w), c, h, w);
    }

    /** {@link #read(Path, int)}, then resized to {@code height} x {@code width} (see {@link #resize}). */
    public static Tensor read(Path path, int channels, int height, int width) throws IOException {
        checkSize(height, width);
        return resize(read(path, channels), height, width);
    }

    /**
     * A host F32 [C, H, W] image resized to [C, height, width]: bilinear (half-pixel centres)
     * along an axis that grows, area averaging along one that shrinks. A new tensor.
     */
    public static Tensor resize(Tensor chw, int height, int width) {
        checkChw(chw, "image", false);
        checkSize(height, width);
        int c = chw.dim(0), h = chw.dim(1), w = chw.dim(2);
        if ((long) c * height * width > Tensor.MAX_HOST_ELEMENTS) {
            throw new IllegalArgumentException("resizing " + chw.describe() + " to " + height + "x" + width + " is too large");
        }
        return Tensor.of(Resize.chw(chw.hostFloats(), c, h, w, height, width), c, height, width);
    }

    /**
     * Writes a host F32 [C, H, W] image (C = 1 or 3, values in [0, 1], clamped; NaN as 0) as
     * an 8-bit PNG, atomically (temporary file, then rename).
     */
    public static void write(Path path, Tensor chw) throws IOException {
        if (path == null) throw new IllegalArgumentException("path must not be null");
        checkChw(chw, "image", true);
        int c = chw.dim(0), h = chw.dim(1), w = chw.dim(2);
        BufferedImage img = new BufferedImage(w, h, c == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        float[] a = chw.hostFloats();
        WritableRaster r = img.getRaster();
        int[] row = new int[w];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                int base = (ch * h + y) * w;
                for (int x = 0; x < w; x++) row[x] = PixelRange.UNIT.toByte(a[base + x]);
                r.setSamples(0, y, w, 1, ch, row);
            }
        }
        writePng(path, img);
    }

    /** Writes {@code img} as a PNG at {@code path}, atomically. */
    static void writePng(Path path, BufferedImage img) throws IOException {
        AtomicFile.writeStream(path, out -> {
            if (!ImageIO.write(img, "png", out)) throw new IOException("no PNG writer in this Java runtime");
        });
    }

    // ---- decoding -----------------------------------------------------------------------------

    private static BufferedImage decode(Path path) throws IOException {
        BufferedImage img;
        try (InputStream in = Files.newInputStream(path)) { // NoSuchFileException etc. come from here
            img = ImageIO.read(in);
        } catch (IOException | RuntimeException e) {
            if (e instanceof FileSystemException) throw e;
            throw new FileFormatException(path, "cannot read the image: " + e.getMessage(), e);
        }
        if (img == null) throw new FileFormatException(path, "not an image (no reader for PNG, JPEG, BMP or GIF recognises it)");
        if (img.getWidth() <= 0 || img.getHeight() <= 0) throw new FileFormatException(path, "the image is empty");
        return img;
    }

    /** The pixels as planes in [0, 1]: 1 plane for grey images, 3 (R, G, B) otherwise. */
    private static float[] pixels(BufferedImage img) {
        int h = img.getHeight(), w = img.getWidth(), hw = h * w;
        ColorModel cm = img.getColorModel();
        WritableRaster r = img.getRaster();
        int[] row = new int[w];
        boolean intSamples = r.getTransferType() == DataBuffer.TYPE_BYTE || r.getTransferType() == DataBuffer.TYPE_USHORT;
        if (cm instanceof ComponentColorModel && intSamples
                && (cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY || cm.getColorSpace().isCS_sRGB())) {
            // Raw samples: exact for 8- and 16-bit, and grey stays as stored (no gamma conversion).
            int c = cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY ? 1 : 3;
            float[] out = new float[c * hw];
            for (int ch = 0; ch < c; ch++) {
                float max = (1 << cm.getComponentSize(ch)) - 1; // divide, not multiply: exactly k/255f
                for (int y = 0; y < h; y++) {
                    r.getSamples(0, y, w, 1, ch, row);
                    int base = ch * hw + y * w;
                    for (int x = 0; x < w; x++) out[base + x] = row[x] / max;
                }
            }
            return out;
        }
        // Palettes, packed and other layouts: through sRGB ints. A palette of greys stays grey.
        boolean grey = cm instanceof IndexColorModel icm && greyPalette(icm);
        float[] out = new float[(grey ? 1 : 3) * hw];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x], i = y * w + x;
                out[i] = ((p >> 16) & 255) / 255f;
                if (!grey) {
                    out[hw + i] = ((p >> 8) & 255) / 255f;
                    out[2 * hw + i] = (p & 255) / 255f;
                }
            }
        }
        return out;
    }

    private static boolean greyPalette(IndexColorModel icm) {
        for (int i = 0; i < icm.getMapSize(); i++) {
            if (icm.getRed(i) != icm.getGreen(i) || icm.getRed(i) != icm.getBlue(i)) return false;
        }
        return true;
    }

    private static float[] convert(float[] planes, int from, int to, int hw) {
        if (from == to) return planes;
        if (to == 3) { // grey -> RGB: repeat
            float[] out = Arrays.copyOf(planes, 3 * hw);
            System.arraycopy(planes, 0, out, hw, hw);
            System.arraycopy(planes, 0, out, 2 * hw, hw);
            return out;
        }
        float[] out = new float[hw]; // RGB -> luma
        for (int i = 0; i < hw; i++) out[i] = 0.299f * planes[i] + 0.587f * planes[hw + i] + 0.114f * planes[2 * hw + i];
        return out;
    }

    // ---- checks -------------------------------------------------------------------------------

    static void checkChw(Tensor t, String what, boolean pngChannels) {
        if (t == null) throw new IllegalArgumentException(what + " must not be null");
        if (t.isOnDevice() || t.dtype() != DType.F32 || t.rank() != 3) {
            throw new IllegalArgumentException(what + " must be a host F32 [C, H, W] tensor, got " + t.describe());
        }
        if (t.dim(1) == 0 || t.dim(2) == 0 || t.dim(0) == 0) {
            throw new IllegalArgumentException(what + " " + t.describe() + " is empty");
        }
        if (pngChannels && t.dim(0) != 1 && t.dim(0) != 3) {
            throw new IllegalArgumentException(what + " " + t.describe() + " must have 1 or 3 channels");
        }
    }

    private static void checkSize(int height, int width) {
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("height and width must be positive, got " + height + "x" + width);
        }
    }
}
