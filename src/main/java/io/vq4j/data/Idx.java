package io.vq4j.data;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reader for the IDX files of (Fashion-)MNIST: a big-endian header {@code 0x00 0x00 type ndims},
 * then ndims big-endian int32 sizes, then the data. Only unsigned bytes (type 0x08) are read.
 * Files that start with the gzip magic (1f 8b) are decompressed whatever their name. Every error
 * names the file and says what is wrong, because a half-downloaded dataset is the usual cause.
 */
final class Idx {
    private Idx() {}

    static final int MAGIC_IMAGES = 0x00000803, MAGIC_LABELS = 0x00000801;

    /** The contents of an images file: count images of rows x cols bytes, row-major, in one array. */
    record Images(int count, int rows, int cols, byte[] pixels) {}

    static Images readImages(Path file) throws IOException {
        byte[] b = readMaybeGzip(file);
        checkMagic(file, b, MAGIC_IMAGES, "unsigned bytes, 3 dimensions: images");
        int n = dim(file, b, 0), rows = dim(file, b, 1), cols = dim(file, b, 2);
        checkLength(file, b, 16, (long) n * rows * cols, n + " x " + rows + " x " + cols);
        byte[] pixels = new byte[b.length - 16];
        System.arraycopy(b, 16, pixels, 0, pixels.length);
        return new Images(n, rows, cols, pixels);
    }

    static byte[] readLabels(Path file) throws IOException {
        byte[] b = readMaybeGzip(file);
        checkMagic(file, b, MAGIC_LABELS, "unsigned bytes, 1 dimension: labels");
        int n = dim(file, b, 0);
        checkLength(file, b, 8, n, String.valueOf(n));
        byte[] labels = new byte[n];
        System.arraycopy(b, 8, labels, 0, n);
        return labels;
    }

    /** The whole file, gunzipped when it starts with the gzip magic. */
    static byte[] readMaybeGzip(Path file) throws IOException {
        byte[] raw = Files.readAllBytes(file);
        if (raw.length < 2 || raw[0] != (byte) 0x1f || raw[1] != (byte) 0x8b) return raw;
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(raw), 1 << 16)) {
            return in.readAllBytes();
        } catch (EOFException e) {
            throw new IOException(file + ": truncated gzip stream (" + raw.length
                    + " compressed bytes end before the data does); the file is probably a partial download", e);
        } catch (ZipException e) {
            throw new IOException(file + ": corrupt gzip data (" + e.getMessage() + ")", e);
        }
    }

    private static void checkMagic(Path file, byte[] b, int expected, String what) throws IOException {
        if (b.length < 4) {
            throw new IOException(file + ": " + b.length + " bytes, too short for an IDX header");
        }
        int magic = readInt(b, 0);
        if (magic != expected) {
            throw new IOException(file + ": bad IDX magic 0x" + hex(magic) + ", expected 0x" + hex(expected)
                    + " (" + what + ")");
        }
    }

    private static int dim(Path file, byte[] b, int k) throws IOException {
        int at = 4 + 4 * k;
        int ndims = b[3];
        if (b.length < at + 4) {
            throw new IOException(file + ": " + b.length + " bytes, too short for the IDX header's "
                    + ndims + " dimension sizes");
        }
        int d = readInt(b, at);
        if (d < 0) throw new IOException(file + ": IDX dimension " + k + " is negative (" + d + ")");
        return d;
    }

    private static void checkLength(Path file, byte[] b, int header, long dataBytes, String dims) throws IOException {
        long have = b.length - header;
        if (have != dataBytes) {
            throw new IOException(file + ": header says " + dims + " = " + dataBytes + " bytes of data, but "
                    + have + " follow the " + header + "-byte header" + (have < dataBytes ? " (truncated?)" : ""));
        }
    }

    private static int readInt(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
    }

    private static String hex(int v) {
        return String.format("%08X", v);
    }
}
