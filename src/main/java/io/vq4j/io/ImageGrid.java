package io.vq4j.io;

import io.vq4j.ops.DType;
import io.vq4j.ops.Tensor;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * PNG grids of images, for looking at what a model does: a plain grid (samples), or originals
 * with their reconstructions (each row of originals directly above the row of its
 * reconstructions, so every pair is one above the other). Cells are separated by a
 * {@value #GAP}-pixel white gap and tiny images are enlarged by an integer factor (nearest
 * neighbour, crisp pixels) so a cell is about {@value #TARGET_CELL} pixels: 28 px MNIST digits
 * are drawn 4x. Images are host F32 [N, C, H, W] with C = 1 (grey PNG) or 3 (RGB).
 */
public final class ImageGrid {
    static { Headless.ensure(); }

    private ImageGrid() {}

    /** Pixels between neighbouring cells. */
    public static final int GAP = 2;
    /** Images smaller than this are enlarged by the largest integer factor that stays within it. */
    public static final int TARGET_CELL = 128;
    private static final int BACKGROUND = 255;

    /** Writes {@code images} [N, C, H, W] row by row, {@code cols} per row, as a PNG (atomically). */
    public static void write(Path png, Tensor images, int cols, PixelRange range) throws IOException {
        check(png, range, cols);
        checkImages(images, "images");
        int n = images.dim(0), c = cols(cols, n);
        int rows = (n + c - 1) / c;
        Tensor[] src = new Tensor[rows];
        int[] first = new int[rows];
        for (int r = 0; r < rows; r++) {
            src[r] = images;
            first[r] = r * c;
        }
        Images.writePng(png, render(src, first, c, range));
    }

    /**
     * Writes originals over their reconstructions: for each row of up to {@code cols} originals,
     * the row of their reconstructions right below it (8 images, 8 columns: 2 rows; 16 images,
     * 8 columns: 4 rows). Both tensors must have the same shape.
     */
    public static void writeComparison(Path png, Tensor originals, Tensor reconstructions, int cols, PixelRange range)
            throws IOException {
        check(png, range, cols);
        checkImages(originals, "originals");
        checkImages(reconstructions, "reconstructions");
        if (!Arrays.equals(originals.shape(), reconstructions.shape())) {
            throw new IllegalArgumentException("originals " + originals.describe() + " and reconstructions "
                    + reconstructions.describe() + " must have the same shape");
        }
        int n = originals.dim(0), c = cols(cols, n);
        int pairs = (n + c - 1) / c;
        Tensor[] src = new Tensor[2 * pairs];
        int[] first = new int[2 * pairs];
        for (int p = 0; p < pairs; p++) {
            src[2 * p] = originals;
            src[2 * p + 1] = reconstructions;
            first[2 * p] = first[2 * p + 1] = p * c;
        }
        Images.writePng(png, render(src, first, c, range));
    }

    /** Enlargement factor for an h x w image: 28 -> 4, 32 -> 4, 64 -> 2, 128 and up -> 1. */
    public static int scaleFor(int h, int w) {
        return Math.max(1, TARGET_CELL / Math.max(h, w));
    }

    /** Grid row r shows images rowFirst[r], rowFirst[r] + 1, ... (up to cols, while they exist) of rowSource[r]. */
    static BufferedImage render(Tensor[] rowSource, int[] rowFirst, int cols, PixelRange range) {
        Tensor first = rowSource[0];
        int n = first.dim(0), c = first.dim(1), h = first.dim(2), w = first.dim(3);
        int s = scaleFor(h, w), cellH = s * h, cellW = s * w;
        int rows = rowSource.length;
        long width = (long) cols * cellW + (long) (cols - 1) * GAP;
        long height = (long) rows * cellH + (long) (rows - 1) * GAP;
        if (width * height * 3 > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a grid of " + rows + "x" + cols + " cells of " + cellH + "x" + cellW
                    + " pixels is too large for one image");
        }
        BufferedImage img = new BufferedImage((int) width, (int) height,
                c == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        WritableRaster r = img.getRaster();
        int[] line = new int[(int) width];
        Arrays.fill(line, BACKGROUND);
        for (int y = 0; y < height; y++) {
            for (int b = 0; b < c; b++) r.setSamples(0, y, (int) width, 1, b, line);
        }
        int[] cell = new int[cellW];
        int chw = c * h * w;
        for (int row = 0; row < rows; row++) {
            float[] a = rowSource[row].hostFloats();
            for (int col = 0; col < cols; col++) {
                int i = rowFirst[row] + col;
                if (i >= n) break;
                int x0 = col * (cellW + GAP), y0 = row * (cellH + GAP);
                for (int b = 0; b < c; b++) {
                    for (int y = 0; y < h; y++) {
                        int base = i * chw + (b * h + y) * w;
                        for (int x = 0; x < cellW; x++) cell[x] = range.toByte(a[base + x / s]);
                        for (int dy = 0; dy < s; dy++) r.setSamples(x0, y0 + y * s + dy, cellW, 1, b, cell);
                    }
                }
            }
        }
        return img;
    }

    private static int cols(int cols, int n) { return Math.min(cols, n); }

    private static void check(Path png, PixelRange range, int cols) {
        if (png == null) throw new IllegalArgumentException("path must not be null");
        if (range == null) throw new IllegalArgumentException("range must not be null (PixelRange.UNIT or SIGNED)");
        if (cols <= 0) throw new IllegalArgumentException("cols must be positive, got " + cols);
    }

    private static void checkImages(Tensor t, String what) {
        if (t == null) throw new IllegalArgumentException(what + " must not be null");
        if (t.isOnDevice() || t.dtype() != DType.F32 || t.rank() != 4) {
            throw new IllegalArgumentException(what + " must be a host F32 [N, C, H, W] tensor, got " + t.describe());
        }
        if (t.dim(0) == 0 || t.dim(2) == 0 || t.dim(3) == 0) throw new IllegalArgumentException(what + " " + t.describe() + " is empty");
        if (t.dim(1) != 1 && t.dim(1) != 3) {
            throw new IllegalArgumentException(what + " " + t.describe() + " must have 1 or 3 channels");
        }
    }
}
