package io.vq4j.data;

import java.util.List;

/**
 * A fixed set of images the models train on: float32, CHW, values in [0, 1], all of one shape.
 *
 * <p>Implementations are immutable after construction, so {@link #read} may be called from several
 * threads at once (the {@link BatchLoader}'s workers do).
 */
public interface Dataset {
    /** Number of images. */
    int size();

    int channels();

    int height();

    int width();

    /** A short human-readable name, for logs and run directories. */
    String name();

    /**
     * Writes image {@code index} into {@code dst[offset .. offset + imageSize())} as CHW floats in [0, 1].
     *
     * @throws IllegalArgumentException if index is outside [0, size()) or dst is too short
     */
    void read(int index, float[] dst, int offset);

    /** The class label of image {@code index}, or -1 when the dataset has no labels. */
    default int label(int index) {
        return -1;
    }

    /** Names of the classes that {@link #label} indexes, or an empty list when unlabelled. */
    default List<String> classNames() {
        return List.of();
    }

    /** Floats per image: channels * height * width. */
    default int imageSize() {
        return channels() * height() * width();
    }

    /** The checks every {@link #read} starts with, so all datasets word bad arguments alike. */
    static void checkRead(Dataset d, int index, float[] dst, int offset) {
        if (index < 0 || index >= d.size()) {
            throw new IllegalArgumentException("index " + index + " is outside [0, " + d.size() + ") of dataset '"
                    + d.name() + "'");
        }
        if (dst == null) throw new IllegalArgumentException("dst must not be null");
        if (offset < 0 || (long) offset + d.imageSize() > dst.length) {
            throw new IllegalArgumentException("dst of length " + dst.length + " cannot hold an image of "
                    + d.channels() + "x" + d.height() + "x" + d.width() + " at offset " + offset);
        }
    }
}
