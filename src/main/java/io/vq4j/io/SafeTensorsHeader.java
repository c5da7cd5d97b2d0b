package io.vq4j.io;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import io.vq4j.ops.DType;
import io.vq4j.ops.Tensor;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The JSON header of a safetensors file: writing it byte-for-byte as the Python library does,
 * and parsing plus validating one completely (every entry, and that the entries tile the data
 * area exactly: no overlap, no hole, nothing missing, nothing extra) before any data is read.
 */
final class SafeTensorsHeader {
    private SafeTensorsHeader() {}

    static final String METADATA_KEY = "__metadata__";
    /** The Rust reader refuses larger headers; so do we, before allocating one. */
    static final long MAX_HEADER_BYTES = 100_000_000;

    /** Unicode code-point order, which is the byte order of UTF-8 and so the order Rust sorts names in. */
    static final Comparator<String> CODE_POINT_ORDER = (a, b) -> {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i), cb = b.codePointAt(j);
            if (ca != cb) return Integer.compare(ca, cb);
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    };

    /** Dtypes of the format that vq4j does not read, for a clearer error than "unknown". */
    private static final Set<String> OTHER_DTYPES = Set.of("BOOL", "U8", "I8", "I16", "U16", "F16", "BF16",
            "U32", "F64", "I64", "U64", "C64", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2");

    /** One tensor's entry; {@code begin}/{@code end} are byte offsets into the data area. */
    /**
     * One tensor of the header. {@code fileBytes} is the element size in the file: 4, or 8 for
     * I64, which is read into an I32 tensor (PyTorch's int64 counters such as BatchNorm's
     * num_batches_tracked) when every value fits.
     */
    record Entry(String name, DType dtype, int[] shape, long begin, long end, int fileBytes) {
        long bytes() { return end - begin; }
    }

    /** A validated header: entries in data order (by begin offset) and the metadata by key. */
    record Parsed(List<Entry> entries, Map<String, String> metadata) {}

    // ---- writing ----------------------------------------------------------------------------

    /**
     * The header bytes for {@code entries} (already in data order), as serde_json writes them:
     * compact, {@code __metadata__} first (left out when empty, like Python's default None), then
     * each tensor's dtype, shape and data_offsets; padded with spaces to a multiple of 8 bytes so
     * the data after the 8-byte length prefix starts 8-aligned. Metadata keys are sorted (the
     * Python writer's order there is a Rust HashMap's, i.e. random).
     */
    static byte[] encode(List<Entry> entries, Map<String, String> metadata) {
        StringBuilder json = new StringBuilder(64 + 96 * entries.size()).append('{');
        boolean first = true;
        if (!metadata.isEmpty()) {
            JsonText.appendString(json, METADATA_KEY);
            json.append(":{");
            TreeMap<String, String> sorted = new TreeMap<>(CODE_POINT_ORDER);
            sorted.putAll(metadata);
            boolean firstKey = true;
            for (Map.Entry<String, String> kv : sorted.entrySet()) {
                if (!firstKey) json.append(',');
                firstKey = false;
                JsonText.appendString(json, kv.getKey());
                json.append(':');
                JsonText.appendString(json, kv.getValue());
            }
            json.append('}');
            first = false;
        }
        for (Entry e : entries) {
            if (!first) json.append(',');
            first = false;
            JsonText.appendString(json, e.name());
            json.append(":{\"dtype\":\"").append(e.dtype().name()).append("\",\"shape\":[");
            for (int i = 0; i < e.shape().length; i++) {
                if (i > 0) json.append(',');
                json.append(e.shape()[i]);
            }
            json.append("],\"data_offsets\":[").append(e.begin()).append(',').append(e.end()).append("]}");
        }
        json.append('}');
        byte[] raw = json.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (raw.length + 7) & ~7;
        byte[] out = Arrays.copyOf(raw, padded);
        Arrays.fill(out, raw.length, padded, (byte) ' ');
        return out;
    }

    // ---- reading ----------------------------------------------------------------------------

    /**
     * Parses and validates the header of {@code file}; {@code dataBytes} is how many bytes the
     * file has after the header. Throws naming the file, the tensor and the problem.
     */
    static Parsed parse(Path file, byte[] headerBytes, long dataBytes) throws FileFormatException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(headerBytes)).toString();
        } catch (CharacterCodingException e) {
            throw new FileFormatException(file, "the header is not valid UTF-8", e);
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        try (JsonReader r = new JsonReader(new StringReader(text))) {
            r.setStrictness(Strictness.STRICT);
            if (r.peek() != JsonToken.BEGIN_OBJECT) {
                throw new FileFormatException(file, "the header is not a JSON object (starts with " + r.peek() + ")");
            }
            r.beginObject();
            Set<String> seen = new HashSet<>();
            while (r.hasNext()) {
                String key = r.nextName();
                if (!seen.add(key)) throw new FileFormatException(file, "the header has key '" + key + "' twice");
                if (key.equals(METADATA_KEY)) readMetadata(file, r, metadata);
                else entries.add(readEntry(file, r, key));
            }
            r.endObject();
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw new FileFormatException(file, "the header has more after its JSON object");
            }
        } catch (FileFormatException e) {
            throw e;
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            throw new FileFormatException(file, "the header is not valid JSON: " + e.getMessage(), e);
        }
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        checkTiling(file, entries, dataBytes);
        return new Parsed(entries, metadata);
    }

    private static void readMetadata(Path file, JsonReader r, Map<String, String> metadata) throws IOException {
        if (r.peek() == JsonToken.NULL) { // serde reads null as "no metadata"
            r.nextNull();
            return;
        }
        if (r.peek() != JsonToken.BEGIN_OBJECT) {
            throw new FileFormatException(file, "__metadata__ must be an object of strings, found " + r.peek());
        }
        r.beginObject();
        while (r.hasNext()) {
            String k = r.nextName();
            if (r.peek() != JsonToken.STRING) {
                throw new FileFormatException(file, "__metadata__ value of '" + k + "' must be a string, found " + r.peek());
            }
            if (metadata.put(k, r.nextString()) != null) {
                throw new FileFormatException(file, "__metadata__ has key '" + k + "' twice");
            }
        }
        r.endObject();
    }

    private static Entry readEntry(Path file, JsonReader r, String name) throws IOException {
        String where = "tensor '" + name + "'";
        if (r.peek() != JsonToken.BEGIN_OBJECT) {
            throw new FileFormatException(file, where + ": expected an object with dtype, shape and data_offsets, found " + r.peek());
        }
        String dtypeName = null;
        long[] shape = null, offsets = null;
        r.beginObject();
        while (r.hasNext()) {
            String field = r.nextName();
            switch (field) {
                case "dtype" -> {
                    if (dtypeName != null) throw new FileFormatException(file, where + " has dtype twice");
                    if (r.peek() != JsonToken.STRING) throw new FileFormatException(file, where + ": dtype must be a string, found " + r.peek());
                    dtypeName = r.nextString();
                }
                case "shape" -> {
                    if (shape != null) throw new FileFormatException(file, where + " has shape twice");
                    shape = readLongs(file, r, where + ": shape");
                }
                case "data_offsets" -> {
                    if (offsets != null) throw new FileFormatException(file, where + " has data_offsets twice");
                    offsets = readLongs(file, r, where + ": data_offsets");
                }
                default -> r.skipValue(); // unknown fields are ignored, as by the Rust reader
            }
        }
        r.endObject();
        if (dtypeName == null) throw new FileFormatException(file, where + " has no dtype");
        if (shape == null) throw new FileFormatException(file, where + " has no shape");
        if (offsets == null) throw new FileFormatException(file, where + " has no data_offsets");

        int fileBytes = "I64".equals(dtypeName) ? 8 : 4;
        DType dtype = switch (dtypeName) {
            case "F32" -> DType.F32;
            case "I32", "I64" -> DType.I32;
            default -> throw new FileFormatException(file, where + " has "
                    + (OTHER_DTYPES.contains(dtypeName) ? "unsupported" : "unknown") + " dtype '" + dtypeName
                    + "' (vq4j reads F32, I32 and I64; convert it before saving)");
        };
        int[] dims = new int[shape.length];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] > Integer.MAX_VALUE) {
                throw new FileFormatException(file, where + " has shape " + Arrays.toString(shape) + ": dimension "
                        + shape[i] + " is too large for vq4j (at most " + Integer.MAX_VALUE + ")");
            }
            dims[i] = (int) shape[i];
            numel = numel == 0 || shape[i] == 0 ? 0 : mulOrMax(numel, shape[i]);
        }
        if (numel > Tensor.MAX_HOST_ELEMENTS) {
            throw new FileFormatException(file, where + " has shape " + Arrays.toString(shape)
                    + ", too many elements for a host tensor (at most " + Tensor.MAX_HOST_ELEMENTS + ")");
        }
        if (offsets.length != 2) {
            throw new FileFormatException(file, where + ": data_offsets must be [begin, end], found " + Arrays.toString(offsets));
        }
        long begin = offsets[0], end = offsets[1];
        if (end < begin) {
            throw new FileFormatException(file, where + ": data_offsets " + Arrays.toString(offsets) + " end before they begin");
        }
        long need = numel * fileBytes;
        if (end - begin != need) {
            throw new FileFormatException(file, where + " is " + dtype + Arrays.toString(dims) + " (" + need
                    + " bytes) but its data_offsets " + Arrays.toString(offsets) + " span " + (end - begin) + " bytes");
        }
        return new Entry(name, dtype, dims, begin, end, fileBytes);
    }

    /** A JSON array of non-negative integers (digits only: no sign, fraction or exponent). */
    private static long[] readLongs(Path file, JsonReader r, String what) throws IOException {
        if (r.peek() != JsonToken.BEGIN_ARRAY) throw new FileFormatException(file, what + " must be an array, found " + r.peek());
        List<Long> values = new ArrayList<>();
        r.beginArray();
        while (r.hasNext()) {
            if (r.peek() != JsonToken.NUMBER) throw new FileFormatException(file, what + " must hold integers, found " + r.peek());
            String literal = r.nextString();
            if (!literal.matches("[0-9]+")) {
                throw new FileFormatException(file, what + " must hold non-negative integers, found " + literal);
            }
            try {
                values.add(Long.parseLong(literal));
            } catch (NumberFormatException e) {
                throw new FileFormatException(file, what + " holds " + literal + ", which is too large");
            }
        }
        r.endArray();
        long[] out = new long[values.size()];
        for (int i = 0; i < out.length; i++) out[i] = values.get(i);
        return out;
    }

    /** Saturates instead of overflowing: anything that large is refused right after anyway. */
    private static long mulOrMax(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;
    }

    /**
     * The entries (sorted by offset) must tile [0, dataBytes) exactly, as the Python writer lays
     * them out and the Rust reader demands: a file cut short, two tensors sharing bytes, bytes
     * owned by no tensor, or extra bytes at the end all mean the file is not what it claims.
     */
    private static void checkTiling(Path file, List<Entry> entries, long dataBytes) throws FileFormatException {
        for (Entry e : entries) {
            if (e.end() > dataBytes) {
                long have = Math.max(0, dataBytes - e.begin());
                throw new FileFormatException(file, "tensor '" + e.name() + "' needs " + e.bytes()
                        + " bytes but the file ends after " + have + " of them (truncated? its data area has "
                        + dataBytes + " bytes)");
            }
        }
        long covered = 0;
        Entry last = null;
        for (Entry e : entries) {
            if (e.begin() < covered) {
                throw new FileFormatException(file, "tensor '" + e.name() + "' (bytes " + e.begin() + ".." + e.end()
                        + ") overlaps tensor '" + last.name() + "' (bytes " + last.begin() + ".." + last.end() + ")");
            }
            if (e.begin() > covered) {
                throw new FileFormatException(file, "data bytes " + covered + ".." + e.begin()
                        + " belong to no tensor (a hole before tensor '" + e.name() + "')");
            }
            if (e.end() > covered || last == null) {
                covered = e.end();
                last = e;
            }
        }
        if (covered < dataBytes) {
            throw new FileFormatException(file, "the file has " + (dataBytes - covered)
                    + " bytes after the last tensor's data that belong to no tensor");
        }
    }
}
