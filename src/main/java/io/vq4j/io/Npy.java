package io.vq4j.io;

import io.vq4j.ops.DType;
import io.vq4j.ops.Tensor;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * NumPy {@code .npy} files of float32 ({@code '<f4'}) or int32 ({@code '<i4'}), C order, any
 * rank: code files and reference arrays shared with Python. Written as format 1.0 exactly as
 * {@code np.save} writes them (same header text, the same spare room for the first axis to grow,
 * padded with spaces and a newline to a 64-byte boundary), so the bytes match numpy's.
 * Reading accepts versions 1.0, 2.0 and 3.0 and validates magic, version, descr,
 * fortran_order, shape and that the data is exactly as long as the shape says.
 *
 * <p>Errors: {@link FileFormatException} (a checked IOException) naming the file and the problem.
 */
public final class Npy {
    private Npy() {}

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int ALIGN = 64;                 // numpy's ARRAY_ALIGN
    private static final int GROWTH_AXIS_MAX_DIGITS = 21; // numpy leaves room for shape[0] to grow
    private static final long MAX_HEADER_BYTES = 1 << 20;  // np.load itself refuses over 10000 by default

    /** Writes a host F32 or I32 tensor atomically (temporary file, then rename). */
    public static void write(Path path, Tensor tensor) throws IOException {
        if (path == null) throw new IllegalArgumentException("path must not be null");
        if (tensor == null) throw new IllegalArgumentException("tensor must not be null");
        if (tensor.isOnDevice()) {
            throw new IllegalArgumentException("tensor " + tensor.describe() + " is on the device; copy it to the host first (Tensor.toHost())");
        }
        byte[] header = header(tensor.dtype(), tensor.shape());
        AtomicFile.write(path, ch -> {
            TensorBytes.writeFully(ch, ByteBuffer.wrap(header));
            if (tensor.dtype() == DType.F32) new TensorBytes().write(ch, tensor.hostFloats());
            else new TensorBytes().write(ch, tensor.hostInts());
        });
    }

    /** The magic, version 1.0, header length and header that np.save writes for this dtype and shape. */
    static byte[] header(DType dtype, int[] shape) {
        StringBuilder dict = new StringBuilder("{'descr': '").append(dtype == DType.F32 ? "<f4" : "<i4")
                .append("', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) dict.append(", ");
            dict.append(shape[i]);
        }
        dict.append(shape.length == 1 ? ",), }" : "), }"); // Python's repr of a 1-tuple is (n,)
        if (shape.length > 0) dict.append(" ".repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String.valueOf(shape[0]).length())));
        int hlen = dict.length() + 1;                                  // + the final '\n'
        int pad = ALIGN - (MAGIC.length + 2 + 2 + hlen) % ALIGN;       // numpy pads 1..64, never 0
        int headerLen = hlen + pad;
        if (headerLen > 0xFFFF) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " is too long for a .npy 1.0 header");
        ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 4 + headerLen).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) headerLen);
        b.put(dict.toString().getBytes(StandardCharsets.ISO_8859_1));
        for (int i = 0; i < pad; i++) b.put((byte) ' ');
        b.put((byte) '\n');
        return b.array();
    }

    /** Reads a float32 or int32 .npy file into a host tensor of its shape. */
    public static Tensor read(Path path) throws IOException {
        if (path == null) throw new IllegalArgumentException("path must not be null");
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer pre = ByteBuffer.allocate((int) Math.min(size, 12)).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, pre, 0, path);
            pre.flip();
            byte[] magic = new byte[Math.min(MAGIC.length, pre.remaining())];
            pre.get(magic);
            if (!Arrays.equals(magic, MAGIC)) throw new FileFormatException(path, "not a .npy file (it does not start with \\x93NUMPY)");
            if (pre.remaining() < 2) throw new FileFormatException(path, "truncated .npy file (" + size + " bytes)");
            int major = pre.get() & 0xFF, minor = pre.get() & 0xFF;
            if ((major < 1 || major > 3) || minor != 0) {
                throw new FileFormatException(path, "unsupported .npy format version " + major + "." + minor + " (reads 1.0, 2.0, 3.0)");
            }
            int lenBytes = major == 1 ? 2 : 4;
            if (pre.remaining() < lenBytes) throw new FileFormatException(path, "truncated .npy file (" + size + " bytes)");
            long headerLen = major == 1 ? pre.getShort() & 0xFFFFL : pre.getInt() & 0xFFFFFFFFL;
            if (headerLen > MAX_HEADER_BYTES) {
                throw new FileFormatException(path, "header length " + headerLen + " is implausibly large (over "
                        + MAX_HEADER_BYTES + " bytes): corrupt?");
            }
            long dataStart = MAGIC.length + 2 + lenBytes + headerLen;
            if (dataStart > size) {
                throw new FileFormatException(path, "header of " + headerLen + " bytes runs past the end of the file ("
                        + size + " bytes): truncated?");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, MAGIC.length + 2 + lenBytes, path);
            String text = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);

            Map<String, Object> dict;
            try {
                dict = PyLiteral.parseDict(text);
            } catch (IllegalArgumentException e) {
                throw new FileFormatException(path, "malformed header: " + e.getMessage(), e);
            }
            if (!dict.keySet().equals(Set.of("descr", "fortran_order", "shape"))) {
                throw new FileFormatException(path, "header keys are " + new TreeSet<>(dict.keySet())
                        + ", expected [descr, fortran_order, shape]");
            }
            Object descr = dict.get("descr");
            DType dtype;
            if ("<f4".equals(descr)) dtype = DType.F32;
            else if ("<i4".equals(descr)) dtype = DType.I32;
            else throw new FileFormatException(path, "dtype " + pyRepr(descr) + " is not supported: vq4j reads"
                    + " float32 '<f4' and int32 '<i4' (convert with a.astype('<f4') or a.astype('<i4'))");
            if (!Boolean.FALSE.equals(dict.get("fortran_order"))) {
                throw new FileFormatException(path, "fortran_order is " + pyRepr(dict.get("fortran_order"))
                        + "; only C order is supported (save np.ascontiguousarray(a))");
            }
            int[] shape = shape(path, dict.get("shape"));
            long numel = Tensor.numel(shape);
            if (numel > Tensor.MAX_HOST_ELEMENTS) {
                throw new FileFormatException(path, "shape " + Arrays.toString(shape) + " has " + numel
                        + " elements, more than a host tensor can hold");
            }
            long need = numel * dtype.bytes(), have = size - dataStart;
            if (have < need) {
                throw new FileFormatException(path, dtype + Arrays.toString(shape) + " needs " + need
                        + " data bytes but the file ends after " + have + " of them (truncated?)");
            }
            if (have > need) {
                throw new FileFormatException(path, dtype + Arrays.toString(shape) + " needs " + need
                        + " data bytes but the file has " + have + " (" + (have - need) + " extra)");
            }
            try {
                if (dtype == DType.F32) {
                    float[] a = new float[(int) numel];
                    new TensorBytes().read(ch, dataStart, a);
                    return Tensor.of(a, shape);
                }
                int[] a = new int[(int) numel];
                new TensorBytes().read(ch, dataStart, a);
                return Tensor.ofInts(a, shape);
            } catch (EOFException e) {
                throw new FileFormatException(path, e.getMessage() + " (was it changed while being read?)", e);
            }
        }
    }

    private static int[] shape(Path path, Object value) throws FileFormatException {
        if (!(value instanceof List<?> dims)) throw new FileFormatException(path, "shape " + pyRepr(value) + " is not a tuple");
        int[] shape = new int[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!(dims.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                throw new FileFormatException(path, "shape " + pyRepr(value) + " must hold integers in [0, " + Integer.MAX_VALUE + "]");
            }
            shape[i] = (int) (long) d;
        }
        return shape;
    }

    private static String pyRepr(Object o) {
        return switch (o) {
            case null -> "None";
            case String s -> "'" + s + "'";
            case Boolean b -> b ? "True" : "False";
            default -> String.valueOf(o);
        };
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long position, Path path) throws IOException {
        while (dst.hasRemaining()) {
            if (ch.read(dst, position + dst.position()) < 0) throw new FileFormatException(path, "the file ended early");
        }
    }
}
