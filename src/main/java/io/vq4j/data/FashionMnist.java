package io.vq4j.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Fashion-MNIST (Xiao et al. 2017): 28x28 grey images of clothes in 10 classes, 60,000 for training
 * and 10,000 for testing, read from the IDX files of the Debian package dataset-fashion-mnist
 * ({@value #DEFAULT_DIR_NAME}/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz) or from another
 * folder holding the same files, gzipped or not.
 *
 * <p>The pixels stay in memory as bytes (47 MB for the training set) and become floats in
 * {@link #read}. Size 28 keeps the images as they are; 32 pads 2 zero pixels on each side, the
 * usual choice for networks that halve 32 down to 4; other sizes are resized bilinearly (area
 * averaged when shrinking more than 2x). One channel.
 */
public final class FashionMnist implements Dataset {
    static final String DEFAULT_DIR_NAME = "/usr/share/datasets/fashion-mnist";
    /** Where the Debian package dataset-fashion-mnist puts the files. */
    public static final Path DEFAULT_DIR = Path.of(DEFAULT_DIR_NAME);
    /** The side of the images in the files. */
    public static final int SOURCE_SIDE = 28;
    /** The side that pads 28 to 32. */
    public static final int PADDED_SIDE = 32;

    private static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    /** v / 255 for every byte value, correctly rounded, so reads are one table lookup per pixel. */
    private static final float[] UNIT = new float[256];

    static {
        for (int v = 0; v < 256; v++) UNIT[v] = v / 255f;
    }

    /** Which half of the dataset. */
    public enum Split {
        TRAIN("train"), TEST("t10k");

        final String prefix;

        Split(String prefix) { this.prefix = prefix; }
    }

    private final Split split;
    private final int count, side;
    private final byte[] pixels, labels;
    private final Resample.Axis axis; // null unless resizing

    private FashionMnist(Split split, int side, Idx.Images images, byte[] labels) {
        this.split = split;
        this.count = images.count();
        this.side = side;
        this.pixels = images.pixels();
        this.labels = labels;
        this.axis = side == SOURCE_SIDE || side == PADDED_SIDE ? null : Resample.axis(SOURCE_SIDE, side);
    }

    /**
     * Opens a split.
     *
     * @param dirOrNull the folder holding the IDX files, or null for {@link #DEFAULT_DIR}
     * @param split     TRAIN (60,000 images) or TEST (10,000)
     * @param size      the side of the images read: 28 (as stored), 32 (zero-padded) or any other >= 1 (resized)
     * @throws IOException a missing folder or file (the message says where it looked and how to get the
     *                     files), or a corrupt one (the message names the file and what is wrong)
     */
    public static FashionMnist open(Path dirOrNull, Split split, int size) throws IOException {
        if (split == null) throw new IllegalArgumentException("split must be TRAIN or TEST, got null");
        if (size < 1) throw new IllegalArgumentException("size must be >= 1, got " + size);
        Path dir = dirOrNull == null ? DEFAULT_DIR : dirOrNull;
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no such folder; Fashion-MNIST was looked for there"
                    + hint(dir, split));
        }
        Path imagesFile = find(dir, split.prefix + "-images-idx3-ubyte", split);
        Path labelsFile = find(dir, split.prefix + "-labels-idx1-ubyte", split);
        Idx.Images images = Idx.readImages(imagesFile);
        if (images.rows() != SOURCE_SIDE || images.cols() != SOURCE_SIDE) {
            throw new IOException(imagesFile + ": images are " + images.rows() + "x" + images.cols()
                    + ", Fashion-MNIST's are " + SOURCE_SIDE + "x" + SOURCE_SIDE);
        }
        byte[] labels = Idx.readLabels(labelsFile);
        if (labels.length != images.count()) {
            throw new IOException(labelsFile + " has " + labels.length + " labels but " + imagesFile + " has "
                    + images.count() + " images; they must match");
        }
        for (int i = 0; i < labels.length; i++) {
            if ((labels[i] & 0xFF) >= CLASSES.size()) {
                throw new IOException(labelsFile + ": label " + i + " is " + (labels[i] & 0xFF)
                        + ", outside the " + CLASSES.size() + " classes 0.." + (CLASSES.size() - 1));
            }
        }
        return new FashionMnist(split, size, images, labels);
    }

    /** {@code name} or {@code name.gz} in dir, the gzipped one first (the Debian package's form). */
    private static Path find(Path dir, String name, Split split) throws NoSuchFileException {
        for (Path p : new Path[] {dir.resolve(name + ".gz"), dir.resolve(name)}) {
            if (Files.isRegularFile(p)) return p;
        }
        throw new NoSuchFileException(dir.resolve(name + ".gz").toString(), null,
                "no such file (nor " + name + " without .gz)" + hint(dir, split));
    }

    private static String hint(Path dir, Split split) {
        return " (expected " + split.prefix + "-images-idx3-ubyte.gz and " + split.prefix
                + "-labels-idx1-ubyte.gz in " + dir + "). On Debian or Ubuntu, `apt-get install dataset-fashion-mnist`"
                + " puts them in " + DEFAULT_DIR + "; or pass the folder that holds them.";
    }

    @Override public int size() { return count; }
    @Override public int channels() { return 1; }
    @Override public int height() { return side; }
    @Override public int width() { return side; }
    @Override public List<String> classNames() { return CLASSES; }
    public Split split() { return split; }

    @Override
    public String name() {
        return "fashion-mnist-" + split.prefix + "-" + side;
    }

    @Override
    public int label(int index) {
        if (index < 0 || index >= count) {
            throw new IllegalArgumentException("index " + index + " is outside [0, " + count + ") of dataset '" + name() + "'");
        }
        return labels[index];
    }

    @Override
    public void read(int index, float[] dst, int offset) {
        Dataset.checkRead(this, index, dst, offset);
        int n = SOURCE_SIDE * SOURCE_SIDE, base = index * n;
        if (side == SOURCE_SIDE) {
            for (int p = 0; p < n; p++) dst[offset + p] = UNIT[pixels[base + p] & 0xFF];
        } else if (side == PADDED_SIDE) {
            int pad = (PADDED_SIDE - SOURCE_SIDE) / 2;
            java.util.Arrays.fill(dst, offset, offset + PADDED_SIDE * PADDED_SIDE, 0f);
            for (int y = 0; y < SOURCE_SIDE; y++) {
                int d = offset + (y + pad) * PADDED_SIDE + pad, s = base + y * SOURCE_SIDE;
                for (int x = 0; x < SOURCE_SIDE; x++) dst[d + x] = UNIT[pixels[s + x] & 0xFF];
            }
        } else {
            float[] src = new float[n];
            for (int p = 0; p < n; p++) src[p] = UNIT[pixels[base + p] & 0xFF];
            Resample.resize(src, 0, 1, dst, offset, axis, axis);
        }
    }
}
