package io.vq4j.data;

import io.vq4j.ops.cpu.Parallel;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Every PNG and JPEG under a folder (recursively, ordered by relative path so that image i is the
 * same file on every machine), decoded with ImageIO, converted to 1 or 3 channels and resized to
 * height x width (bilinear; area averaged along an axis shrinking more than 2x).
 *
 * <p>All files are decoded once, in parallel, when the folder is opened, so bad files are known up
 * front ({@link BadFilePolicy}) and reads are cheap. The resized images are kept as bytes
 * (round(v * 255)): a quarter of the memory of floats, and the sources are 8-bit anyway.
 *
 * <p>Files in a subfolder get the label of that first-level subfolder (sorted by name, as in
 * torchvision's ImageFolder); files directly under the root have label -1.
 */
public final class ImageFolder implements Dataset {
    private static final System.Logger LOG = System.getLogger("io.vq4j");

    /** A file left out under {@link BadFilePolicy#SKIP}, and why. */
    public record SkippedFile(Path file, String reason) {}

    private final Path root;
    private final int channels, height, width;
    private final List<Path> files;
    private final byte[] data;
    private final int[] labels;
    private final List<String> classNames;
    private final List<SkippedFile> skipped;

    private ImageFolder(Path root, int channels, int height, int width, List<Path> files, byte[] data, int[] labels,
                        List<String> classNames, List<SkippedFile> skipped) {
        this.root = root;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.files = files;
        this.data = data;
        this.labels = labels;
        this.classNames = classNames;
        this.skipped = skipped;
    }

    /**
     * Decodes every .png, .jpg and .jpeg file (any case) under {@code root}.
     *
     * @throws IOException a missing root, a folder without images (or none readable), or under
     *                     {@link BadFilePolicy#FAIL} the first file that does not decode
     */
    public static ImageFolder open(Path root, int channels, int height, int width, BadFilePolicy policy)
            throws IOException {
        if (root == null) throw new IllegalArgumentException("root must not be null");
        if (channels != 1 && channels != 3) throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        if (height < 1 || width < 1) throw new IllegalArgumentException("height and width must be >= 1, got " + height + "x" + width);
        if (policy == null) throw new IllegalArgumentException("policy must be SKIP or FAIL, got null");
        int imageSize = channels * height * width;
        if (!Files.isDirectory(root)) throw new NoSuchFileException(root.toString(), null, "no such folder of images");
        List<Path> found = imageFiles(root);
        if (found.isEmpty()) {
            throw new IOException(root + ": no PNG or JPEG files (.png, .jpg, .jpeg) in this folder or below it");
        }
        int n = found.size();
        if ((long) n * imageSize > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(n + " images of " + channels + "x" + height + "x" + width
                    + " do not fit in one array; use a smaller size or fewer files");
        }
        // decode straight into the final array, slot i for file i: one copy of the data at a time
        byte[] all = new byte[n * imageSize];
        String[] errors = new String[n];
        Exception[] causes = new Exception[n];
        Parallel.forRange(n, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                try {
                    decode(root.resolve(found.get(i)), channels, height, width, all, i * imageSize);
                } catch (IOException | RuntimeException e) {
                    errors[i] = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                    causes[i] = e;
                }
            }
        });
        List<SkippedFile> skipped = new ArrayList<>();
        List<Path> kept = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path file = root.resolve(found.get(i));
            if (errors[i] == null) {
                // compact: kept image k moves from slot i to slot k (k <= i, so nothing unread is overwritten)
                if (kept.size() != i) System.arraycopy(all, i * imageSize, all, kept.size() * imageSize, imageSize);
                kept.add(found.get(i));
                continue;
            }
            if (policy == BadFilePolicy.FAIL) {
                throw new IOException(file + ": cannot be read as an image: " + errors[i], causes[i]);
            }
            skipped.add(new SkippedFile(file, errors[i]));
            LOG.log(System.Logger.Level.WARNING, "skipping " + file + ": " + errors[i]);
        }
        if (kept.isEmpty()) {
            throw new IOException(root + ": none of the " + n + " image files could be read (first: "
                    + skipped.getFirst().file() + ": " + skipped.getFirst().reason() + ")");
        }
        byte[] data = kept.size() == n ? all : Arrays.copyOf(all, kept.size() * imageSize);
        TreeSet<String> classes = new TreeSet<>();
        for (Path p : kept) if (p.getNameCount() > 1) classes.add(p.getName(0).toString());
        List<String> classNames = List.copyOf(classes);
        int[] labels = new int[kept.size()];
        for (int i = 0; i < labels.length; i++) {
            Path p = kept.get(i);
            labels[i] = p.getNameCount() > 1 ? Collections.binarySearch(classNames, p.getName(0).toString()) : -1;
        }
        return new ImageFolder(root, channels, height, width, List.copyOf(kept), data, labels, classNames,
                List.copyOf(skipped));
    }

    /** Relative paths of the image files under root, sorted by their '/'-joined names (the same on every OS). */
    private static List<Path> imageFiles(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile)
                    .filter(p -> {
                        String s = p.getFileName().toString().toLowerCase(Locale.ROOT);
                        return s.endsWith(".png") || s.endsWith(".jpg") || s.endsWith(".jpeg");
                    })
                    .map(root::relativize)
                    .sorted(Comparator.comparing(ImageFolder::slashed))
                    .toList();
        }
    }

    private static String slashed(Path relative) {
        StringBuilder sb = new StringBuilder();
        for (Path part : relative) {
            if (!sb.isEmpty()) sb.append('/');
            sb.append(part);
        }
        return sb.toString();
    }

    /** One file, decoded, converted and resized, into out[at ..] as bytes round(v * 255). */
    private static void decode(Path file, int channels, int height, int width, byte[] out, int at) throws IOException {
        BufferedImage img = ImageIO.read(file.toFile());
        if (img == null) throw new IOException("no ImageIO reader recognises its contents");
        int sh = img.getHeight(), sw = img.getWidth();
        float[] src = ImageDecode.planes(img, channels);
        float[] dst;
        if (sh == height && sw == width) {
            dst = src;
        } else {
            dst = new float[channels * height * width];
            Resample.resize(src, 0, channels, dst, 0, Resample.axis(sh, height), Resample.axis(sw, width));
        }
        for (int i = 0; i < dst.length; i++) out[at + i] = (byte) Math.round(Math.min(1f, Math.max(0f, dst[i])) * 255f);
    }

    /** Floats for the stored bytes: exactly v / 255. */
    private static final float[] UNIT = new float[256];

    static {
        for (int v = 0; v < 256; v++) UNIT[v] = v / 255f;
    }

    @Override public int size() { return labels.length; }
    @Override public int channels() { return channels; }
    @Override public int height() { return height; }
    @Override public int width() { return width; }
    @Override public List<String> classNames() { return classNames; }
    public Path root() { return root; }

    /** The files left out under {@link BadFilePolicy#SKIP}, in path order (empty under FAIL). */
    public List<SkippedFile> skipped() { return skipped; }

    /** The file image {@code index} came from, relative to {@link #root()}. */
    public Path file(int index) {
        checkIndex(index);
        return files.get(index);
    }

    @Override
    public String name() {
        Path leaf = root.getFileName();
        return "images-" + (leaf == null ? "root" : leaf) + "-" + channels + "x" + height + "x" + width;
    }

    @Override
    public int label(int index) {
        checkIndex(index);
        return labels[index];
    }

    @Override
    public void read(int index, float[] dst, int offset) {
        Dataset.checkRead(this, index, dst, offset);
        int n = imageSize(), base = index * n;
        for (int p = 0; p < n; p++) dst[offset + p] = UNIT[data[base + p] & 0xFF];
    }

    private void checkIndex(int index) {
        if (index < 0 || index >= size()) {
            throw new IllegalArgumentException("index " + index + " is outside [0, " + size() + ") of dataset '" + name() + "'");
        }
    }
}
