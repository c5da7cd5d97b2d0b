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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes Hugging Face safetensors files: an 8-byte little-endian header length N, N
 * bytes of JSON ({@code {"__metadata__": {...}, "name": {"dtype", "shape", "data_offsets"}}}),
 * then the raw little-endian tensor data. Files written here are byte-identical to what the
 * Python library writes for the same tensors and (at most one key of) metadata; F32 and I32 only.
 *
 * <p>Errors: {@link FileFormatException} (a checked IOException) for a malformed file, naming the
 * file, the tensor and what is wrong; other IOExceptions for I/O failures;
 * IllegalArgumentException for bad arguments to {@link #write}.
 */
public final class SafeTensors {
    private SafeTensors() {}

    /** Writes {@code tensors} with no metadata. */
    public static void write(Path path, Map<String, Tensor> tensors) throws IOException {
        write(path, tensors, Map.of());
    }

    /**
     * Writes {@code tensors} (host F32/I32) and {@code metadata} to {@code path} atomically: a
     * temporary file in the same directory is written, forced to disk and renamed over
     * {@code path}. If anything fails, the temporary file is removed and an existing file at
     * {@code path} is left as it was. Tensors are laid out like the Python writer does: F32 before
     * I32, each group by name, contiguous.
     */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        if (path == null) throw new IllegalArgumentException("path must not be null");
        if (tensors == null) throw new IllegalArgumentException("tensors must not be null");
        if (metadata == null) throw new IllegalArgumentException("metadata must not be null (use Map.of())");
        for (Map.Entry<String, String> kv : metadata.entrySet()) {
            checkText(kv.getKey(), "metadata key");
            if (kv.getValue() == null) throw new IllegalArgumentException("metadata value of '" + kv.getKey() + "' is null");
            checkText(kv.getValue(), "metadata value of '" + kv.getKey() + "'");
        }
        List<Map.Entry<String, Tensor>> order = new ArrayList<>(tensors.size());
        for (Map.Entry<String, Tensor> kv : tensors.entrySet()) {
            String name = kv.getKey();
            checkText(name, "tensor name");
            if (name.isEmpty()) throw new IllegalArgumentException("tensor name must not be empty");
            if (name.equals(SafeTensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException("tensor name '" + name + "' is reserved for the metadata");
            }
            Tensor t = kv.getValue();
            if (t == null) throw new IllegalArgumentException("tensor '" + name + "' is null");
            if (t.isOnDevice()) {
                throw new IllegalArgumentException("tensor '" + name + "' (" + t.describe()
                        + ") is on the device; copy it to the host first (Tensor.toHost())");
            }
            order.add(kv);
        }
        // The Python writer's order: larger dtypes first (F32 before I32), then by name.
        order.sort(Comparator.<Map.Entry<String, Tensor>>comparingInt(kv -> kv.getValue().dtype() == DType.F32 ? 0 : 1)
                .thenComparing(Map.Entry::getKey, SafeTensorsHeader.CODE_POINT_ORDER));
        List<SafeTensorsHeader.Entry> entries = new ArrayList<>(order.size());
        long offset = 0;
        for (Map.Entry<String, Tensor> kv : order) {
            Tensor t = kv.getValue();
            long bytes = t.numel() * t.dtype().bytes();
            entries.add(new SafeTensorsHeader.Entry(kv.getKey(), t.dtype(), t.shape(), offset, offset + bytes, 4));
            offset += bytes;
        }
        byte[] header = SafeTensorsHeader.encode(entries, metadata);

        AtomicFile.write(path, ch -> {
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
            TensorBytes.writeFully(ch, prefix);
            TensorBytes.writeFully(ch, ByteBuffer.wrap(header));
            TensorBytes data = new TensorBytes();
            for (Map.Entry<String, Tensor> kv : order) {
                Tensor t = kv.getValue();
                try {
                    if (t.dtype() == DType.F32) data.write(ch, t.hostFloats());
                    else data.write(ch, t.hostInts());
                } catch (IllegalStateException e) { // e.g. closed while we were writing
                    throw new IllegalArgumentException("tensor '" + kv.getKey() + "' cannot be read: " + e.getMessage(), e);
                }
            }
        });
    }

    /**
     * Reads a whole safetensors file into host tensors. The header is validated completely
     * (JSON, dtypes, shapes against byte ranges, ranges tiling the data area, file length) before
     * any tensor is allocated; data is streamed straight into each tensor's array.
     */
    public static SafeTensorsFile read(Path path) throws IOException {
        if (path == null) throw new IllegalArgumentException("path must not be null");
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new FileFormatException(path, "too short to be a safetensors file (" + size
                        + " bytes; the header length alone takes 8)");
            }
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, prefix, 0, path);
            long headerLength = prefix.flip().getLong(); // unsigned in the format: negative means huge
            if (headerLength < 0 || headerLength > size - 8) {
                throw new FileFormatException(path, "header length " + Long.toUnsignedString(headerLength)
                        + " runs past the end of the file (" + size + " bytes): truncated or not a safetensors file");
            }
            if (headerLength > SafeTensorsHeader.MAX_HEADER_BYTES) {
                throw new FileFormatException(path, "header length " + headerLength + " is larger than the "
                        + SafeTensorsHeader.MAX_HEADER_BYTES + " bytes safetensors allows");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(ch, header, 8, path);
            long dataStart = 8 + headerLength;
            SafeTensorsHeader.Parsed parsed = SafeTensorsHeader.parse(path, header.array(), size - dataStart);

            TensorBytes bytes = new TensorBytes();
            TreeMap<String, Tensor> byName = new TreeMap<>(SafeTensorsHeader.CODE_POINT_ORDER);
            for (SafeTensorsHeader.Entry e : parsed.entries()) {
                int n = (int) Tensor.numel(e.shape());
                Tensor t;
                try {
                    if (e.dtype() == DType.F32) {
                        float[] a = new float[n];
                        bytes.read(ch, dataStart + e.begin(), a);
                        t = Tensor.of(a, e.shape());
                    } else if (e.fileBytes() == 8) {
                        t = Tensor.ofInts(bytes.readNarrowed(ch, dataStart + e.begin(), n, path, e.name()), e.shape());
                    } else {
                        int[] a = new int[n];
                        bytes.read(ch, dataStart + e.begin(), a);
                        t = Tensor.ofInts(a, e.shape());
                    }
                } catch (EOFException eof) {
                    throw new FileFormatException(path, "tensor '" + e.name() + "': " + eof.getMessage()
                            + " (was the file changed while being read?)", eof);
                }
                byName.put(e.name(), t);
            }
            return new SafeTensorsFile(new LinkedHashMap<>(byName), parsed.metadata());
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long position, Path path) throws IOException {
        while (dst.hasRemaining()) {
            if (ch.read(dst, position + dst.position()) < 0) {
                throw new FileFormatException(path, "the file ended early (was it changed while being read?)");
            }
        }
    }

    /** Names and metadata must be non-null valid Unicode (an unpaired surrogate has no UTF-8). */
    private static void checkText(String s, String what) {
        if (s == null) throw new IllegalArgumentException(what + " must not be null");
        if (!StandardCharsets.UTF_8.newEncoder().canEncode(s)) {
            throw new IllegalArgumentException(what + " '" + s + "' is not valid Unicode (unpaired surrogate)");
        }
    }
}
