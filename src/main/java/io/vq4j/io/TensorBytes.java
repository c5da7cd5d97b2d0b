package io.vq4j.io;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;

/**
 * Streams float/int arrays to and from little-endian bytes through one reusable 1 MiB direct
 * buffer, so a multi-GB tensor costs its own array and nothing more (no byte[] copy of it). Both
 * safetensors and .npy store raw little-endian elements, which is what these copy.
 */
final class TensorBytes {
    private static final int CHUNK = 1 << 20; // bytes; a multiple of 4
    private final ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);

    void write(WritableByteChannel ch, float[] a) throws IOException {
        for (int off = 0; off < a.length; ) {
            int n = Math.min(a.length - off, CHUNK / 4);
            buf.clear();
            buf.asFloatBuffer().put(a, off, n);
            buf.limit(4 * n);
            writeFully(ch, buf);
            off += n;
        }
    }

    void write(WritableByteChannel ch, int[] a) throws IOException {
        for (int off = 0; off < a.length; ) {
            int n = Math.min(a.length - off, CHUNK / 4);
            buf.clear();
            buf.asIntBuffer().put(a, off, n);
            buf.limit(4 * n);
            writeFully(ch, buf);
            off += n;
        }
    }

    /** Fills {@code a} from the file's bytes starting at {@code position}. */
    void read(FileChannel ch, long position, float[] a) throws IOException {
        for (int off = 0; off < a.length; ) {
            int n = Math.min(a.length - off, CHUNK / 4);
            readFully(ch, position + 4L * off, 4 * n);
            buf.asFloatBuffer().get(a, off, n);
            off += n;
        }
    }

    void read(FileChannel ch, long position, int[] a) throws IOException {
        for (int off = 0; off < a.length; ) {
            int n = Math.min(a.length - off, CHUNK / 4);
            readFully(ch, position + 4L * off, 4 * n);
            buf.asIntBuffer().get(a, off, n);
            off += n;
        }
    }

    /** Reads n little-endian int64 values at {@code position} into ints; a value outside int range is an error. */
    int[] readNarrowed(FileChannel ch, long position, int n, java.nio.file.Path file, String name) throws IOException {
        int[] a = new int[n];
        for (int off = 0; off < n; ) {
            int m = Math.min(n - off, CHUNK / 8);
            readFully(ch, position + 8L * off, 8 * m);
            java.nio.LongBuffer lb = buf.asLongBuffer();
            for (int i = 0; i < m; i++) {
                long v = lb.get(i);
                if (v != (int) v) {
                    throw new FileFormatException(file, "tensor '" + name + "' (I64) holds " + v + " at element " + (off + i)
                            + ", outside the int32 range vq4j reads I64 into");
                }
                a[off + i] = (int) v;
            }
            off += m;
        }
        return a;
    }

    static void writeFully(WritableByteChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    /** Reads exactly {@code bytes} at {@code position} into buf (then flipped for reading). */
    private void readFully(FileChannel ch, long position, int bytes) throws IOException {
        buf.clear().limit(bytes);
        while (buf.hasRemaining()) {
            // The callers checked the file's size first; EOF here means it shrank while being read.
            if (ch.read(buf, position + buf.position()) < 0) {
                throw new EOFException("file ended at byte " + (position + buf.position()) + " while reading its data");
            }
        }
        buf.flip();
    }
}
