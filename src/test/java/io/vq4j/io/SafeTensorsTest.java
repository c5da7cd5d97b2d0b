package io.vq4j.io;

import io.vq4j.TestData;
import io.vq4j.ops.DType;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class SafeTensorsTest {
    @TempDir Path dir;
    private final long seed = System.nanoTime();

    // ---- round trips ------------------------------------------------------------------------

    @Test
    void roundTripsEveryRankAndDtypeBitExactly() throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("scalar", Tensor.of(new float[] {(float) r.nextGaussian()}));       // rank 0
        in.put("vec13", Tensor.of(rawBits(r, 13), 13));                             // NaN payloads too
        in.put("enc.conv.w", Tensor.of(rawBits(r, 2 * 3 * 4 * 5), 2, 3, 4, 5));     // rank 4
        in.put("empty", Tensor.of(new float[0], 0, 7));
        in.put("codes", Tensor.ofInts(TestData.ints(seed, 257, 1024), 257));
        in.put("count", Tensor.ofInts(new int[] {Integer.MIN_VALUE}));
        in.put("big", Tensor.of(TestData.gaussian(seed, 1_000_003, 1), 1_000_003)); // spans several 1 MiB chunks
        Path p = dir.resolve("model.safetensors");
        SafeTensors.write(p, in, Map.of("format", "pt", "epoch", "3"));

        SafeTensorsFile f = SafeTensors.read(p);
        assertEquals(Map.of("format", "pt", "epoch", "3"), f.metadata());
        assertEquals(List.of("big", "codes", "count", "empty", "enc.conv.w", "scalar", "vec13"),
                new ArrayList<>(f.tensors().keySet()), "tensors come back in name order");
        for (var e : in.entrySet()) {
            Tensor a = e.getValue(), b = f.tensor(e.getKey());
            assertEquals(a.dtype(), b.dtype(), e.getKey());
            assertArrayEquals(a.shape(), b.shape(), e.getKey());
            if (a.dtype() == DType.F32) {
                assertArrayEquals(bits(a.hostFloats()), bits(b.hostFloats()), e.getKey() + " seed=" + seed);
            } else {
                assertArrayEquals(a.hostInts(), b.hostInts(), e.getKey() + " seed=" + seed);
            }
        }
        assertEquals(0, Files.size(p) - 8 - headerLength(p) - 4L * (1 + 13 + 120 + 0 + 257 + 1 + 1_000_003));
    }

    @Test
    void emptyMetadataAndNoTensorsRoundTrip() throws IOException {
        Path p = dir.resolve("empty.safetensors");
        SafeTensors.write(p, Map.of());
        // {} padded to 8 bytes, nothing else: exactly what the Python writer makes for save({}).
        assertArrayEquals(concat(le64(8), "{}      ".getBytes(StandardCharsets.US_ASCII)), Files.readAllBytes(p));
        SafeTensorsFile f = SafeTensors.read(p);
        assertTrue(f.tensors().isEmpty());
        assertTrue(f.metadata().isEmpty());
    }

    @Test
    void headerIsAlwaysPaddedToEightBytes() throws IOException {
        for (int len = 1; len <= 9; len++) {
            Path p = dir.resolve("pad" + len + ".safetensors");
            SafeTensors.write(p, Map.of("n".repeat(len), Tensor.of(new float[] {1f}, 1)));
            long n = headerLength(p);
            assertEquals(0, n % 8, "name length " + len);
            byte[] all = Files.readAllBytes(p);
            String json = new String(all, 8, (int) n, StandardCharsets.UTF_8);
            assertEquals(json.strip() + " ".repeat(json.length() - json.strip().length()), json, "padding is trailing spaces");
        }
    }

    // ---- byte-exact with the Python library -----------------------------------------------------

    /**
     * The bytes safetensors (0.8.0, checked by hand with safetensors.numpy.save) writes for these
     * tensors: __metadata__ first, then F32 tensors by name, then I32 ones, data contiguous in that
     * order, header padded with spaces to a multiple of 8.
     */
    @Test
    void bytesMatchThePythonWriter() throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("z", Tensor.of(new float[] {3.5f}));
        t.put("a", Tensor.ofInts(new int[] {1, 2}, 2));
        t.put("c", Tensor.of(new float[0], 0));
        t.put("b", Tensor.of(new float[] {0, 1, 2, 3, 4, 5}, 2, 3));
        Path p = dir.resolve("py.safetensors");
        SafeTensors.write(p, t, Map.of("format", "pt"));

        String json = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                + "\"c\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[24,24]},"
                + "\"z\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[24,28]},"
                + "\"a\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[28,36]}}    ";
        assertEquals(256, json.length());
        ByteBuffer data = ByteBuffer.allocate(36).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++) data.putFloat(i);
        data.putFloat(3.5f).putInt(1).putInt(2);
        byte[] expected = concat(le64(256), json.getBytes(StandardCharsets.US_ASCII), data.array());
        assertArrayEquals(expected, Files.readAllBytes(p));
    }

    @Test
    void stringsAreEscapedLikeSerdeJson() throws IOException {
        Path p = dir.resolve("esc.safetensors");
        SafeTensors.write(p, Map.of("x", Tensor.of(new float[] {1f}, 1)), Map.of("k", "\u00e9\"<\n\u0001\u007f\u2028\\"));
        // From safetensors.numpy.save({'x': ones(1)}, metadata={'k': 'é"<\n\x01\x7f\u2028\\'}):
        // only quote, backslash and control characters are escaped; the rest is raw UTF-8.
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        json.writeBytes("{\"__metadata__\":{\"k\":\"".getBytes(StandardCharsets.US_ASCII));
        json.writeBytes(new byte[] {(byte) 0xC3, (byte) 0xA9});
        json.writeBytes("\\\"<\\n\\u0001".getBytes(StandardCharsets.US_ASCII));
        json.writeBytes(new byte[] {0x7F, (byte) 0xE2, (byte) 0x80, (byte) 0xA8});
        json.writeBytes("\\\\\"},\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}".getBytes(StandardCharsets.US_ASCII));
        while (json.size() % 8 != 0) json.write(' ');
        byte[] expected = concat(le64(json.size()), json.toByteArray(), new byte[] {0, 0, (byte) 0x80, 0x3F});
        assertArrayEquals(expected, Files.readAllBytes(p));
        assertEquals("\u00e9\"<\n\u0001\u007f\u2028\\", SafeTensors.read(p).metadata().get("k"));
    }

    @Test
    void noMetadataMeansNoMetadataKey() throws IOException {
        Path p = dir.resolve("nometa.safetensors");
        SafeTensors.write(p, Map.of("x", Tensor.of(new float[] {1f}, 1)));
        String json = "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}  ";
        assertArrayEquals(concat(le64(56), json.getBytes(StandardCharsets.US_ASCII), new byte[] {0, 0, (byte) 0x80, 0x3F}),
                Files.readAllBytes(p));
    }

    // ---- malformed files: clear errors naming the file and the tensor --------------------------

    @Test
    void truncatedFileNamesTheTensorAndTheShortfall() throws IOException {
        Path p = dir.resolve("model.safetensors");
        SafeTensors.write(p, Map.of("encoder.0.weight", Tensor.of(new float[1728], 12, 3, 6, 8),
                "bias", Tensor.of(new float[4], 4)));
        byte[] all = Files.readAllBytes(p);
        Files.write(p, Arrays.copyOf(all, all.length - 6912 + 1024)); // 1024 bytes of the weight remain
        String m = readError(p);
        assertTrue(m.startsWith("model.safetensors: "), m);
        assertTrue(m.contains("tensor 'encoder.0.weight' needs 6912 bytes but the file ends after 1024"), m);
    }

    @Test
    void tooShortAndHeaderPastEndAreErrors() throws IOException {
        Path p = dir.resolve("short.safetensors");
        Files.write(p, new byte[] {1, 2, 3});
        assertTrue(readError(p).contains("too short"), readError(p));
        Files.write(p, concat(le64(1000), "{}".getBytes(StandardCharsets.US_ASCII)));
        assertTrue(readError(p).contains("header length 1000 runs past the end of the file (10 bytes)"), readError(p));
        Files.write(p, concat(le64(-1), new byte[8]));
        assertTrue(readError(p).contains("runs past the end"), readError(p));
    }

    @Test
    void corruptHeadersAreErrors() throws IOException {
        assertHeaderError("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", 4, "not valid JSON");
        assertHeaderError("[1,2]", 0, "not a JSON object");
        assertHeaderError("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} x", 4, "not valid JSON");
        assertHeaderError("{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "tensor 'x' has no data_offsets");
        assertHeaderError("{\"x\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, "non-negative integers");
        assertHeaderError("{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "non-negative integers");
        assertHeaderError("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 4, "must be [begin, end]");
        assertHeaderError("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4, "end before they begin");
        assertHeaderError("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4,
                "tensor 'x' is F32[2] (8 bytes) but its data_offsets [0, 4] span 4 bytes");
        assertHeaderError("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"x\":{}}", 4, "key 'x' twice");
        assertHeaderError("{\"__metadata__\":{\"a\":1}}", 0, "value of 'a' must be a string");
        assertHeaderError("{\"x\":{\"dtype\":\"F32\",\"shape\":[65536,65536,65536],\"data_offsets\":[0,4]}}", 4, "too many elements");
    }

    @Test
    void invalidUtf8HeaderIsAnError() throws IOException {
        Path p = dir.resolve("utf.safetensors");
        Files.write(p, concat(le64(8), new byte[] {'{', '"', (byte) 0xFF, '"', ':', '1', '}', ' '}));
        assertTrue(readError(p).contains("not valid UTF-8"), readError(p));
    }

    @Test
    void unsupportedAndUnknownDtypesNameTheTensor() throws IOException {
        assertHeaderError("{\"decoder.w\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4,
                "tensor 'decoder.w' has unsupported dtype 'F16'");
        assertHeaderError("{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "unsupported dtype 'BF16'");
        assertHeaderError("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, "unsupported dtype 'F64'");
        assertHeaderError("{\"w\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, "unknown dtype 'Q4'");
    }

    @Test
    void offsetsMustTileTheDataExactly() throws IOException {
        assertHeaderError("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
                "tensor 'b' (bytes 4..12) overlaps tensor 'a' (bytes 0..8)");
        assertHeaderError("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12,
                "data bytes 4..8 belong to no tensor (a hole before tensor 'b')");
        assertHeaderError("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "data bytes 0..4 belong to no tensor");
        assertHeaderError("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 10,
                "6 bytes after the last tensor's data that belong to no tensor");
        assertHeaderError("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "overlaps");
    }

    @Test
    void validFilesFromOtherWritersAreRead() throws IOException {
        // Data out of header order, zero-size tensors, unknown fields, null metadata: all valid.
        Path p = writeRaw("other.safetensors", "{\"__metadata__\":null,\"b\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"shape\":[1,1],\"data_offsets\":[4,8],\"dtype\":\"F32\",\"extra\":[1,{}]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[3,0],\"data_offsets\":[8,8]}}", 8);
        SafeTensorsFile f = SafeTensors.read(p);
        assertEquals(List.of("a", "b", "e"), new ArrayList<>(f.tensors().keySet()));
        assertArrayEquals(new int[] {3, 0}, f.tensor("e").shape());
        assertEquals(DType.I32, f.tensor("b").dtype());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.tensor("c"));
        assertTrue(e.getMessage().contains("no tensor 'c'") && e.getMessage().contains("[a, b, e]"), e.getMessage());
    }

    // ---- atomic writes ----------------------------------------------------------------------

    @Test
    void failureMidWriteKeepsThePreviousFileAndLeavesNoTemp() throws IOException {
        Path p = dir.resolve("ckpt.safetensors");
        SafeTensors.write(p, Map.of("w", Tensor.of(new float[] {1, 2, 3}, 3)));
        byte[] before = Files.readAllBytes(p);

        Tensor broken = Tensor.of(new float[10], 10);
        broken.close(); // host storage now throws when read: after 'a' (4 MB) has been written
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("a", Tensor.of(new float[1_000_003], 1_000_003));
        t.put("b", broken);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(p, t));
        assertTrue(e.getMessage().contains("tensor 'b' cannot be read"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(p), "the previous checkpoint is intact");
        assertEquals(List.of(p), listDir(), "no temporary file is left behind");
    }

    @Test
    void failureAtTheRenameLeavesNoTemp() throws IOException {
        Path target = Files.createDirectories(dir.resolve("taken.safetensors"));
        Files.writeString(target.resolve("inside"), "keep me");
        assertThrows(IOException.class, () -> SafeTensors.write(target, Map.of("w", Tensor.of(new float[] {1}, 1))));
        assertEquals("keep me", Files.readString(target.resolve("inside")));
        assertEquals(List.of(target), listDir());
    }

    @Test
    void aMissingDirectoryIsNamed() {
        Path p = dir.resolve("nope").resolve("m.safetensors");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> SafeTensors.write(p, Map.of()));
        assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("m.safetensors"), e.getMessage());
    }

    @Test
    void writeReplacesAnExistingFile() throws IOException {
        Path p = dir.resolve("r.safetensors");
        SafeTensors.write(p, Map.of("old", Tensor.of(new float[100], 100)));
        SafeTensors.write(p, Map.of("new", Tensor.ofInts(new int[] {7}, 1)));
        SafeTensorsFile f = SafeTensors.read(p);
        assertEquals(List.of("new"), new ArrayList<>(f.tensors().keySet()));
        assertEquals(List.of(p), listDir());
    }

    @Test
    void badArgumentsAreIllegalArgumentExceptions() {
        Path p = dir.resolve("bad.safetensors");
        Tensor x = Tensor.of(new float[] {1}, 1);
        assertIae(() -> SafeTensors.write(p, Map.of("__metadata__", x)), "reserved");
        assertIae(() -> SafeTensors.write(p, Map.of("", x)), "must not be empty");
        Map<String, Tensor> withNull = new LinkedHashMap<>();
        withNull.put("n", null);
        assertIae(() -> SafeTensors.write(p, withNull), "tensor 'n' is null");
        assertIae(() -> SafeTensors.write(p, Map.of("x", x), Map.of("k", "\ud800")), "not valid Unicode");
        assertFalse(Files.exists(p));
    }

    // ---- helpers ------------------------------------------------------------------------------

    @Test
    void int64CountersAreReadAsInt32WhenTheyFit() throws IOException {
        // PyTorch's BatchNorm num_batches_tracked is an int64 scalar
        byte[] h = "{\"bn.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}}".getBytes(StandardCharsets.UTF_8);
        Path ok = dir.resolve("ok.safetensors");
        Files.write(ok, concat(le64(h.length), h, le64(1234)));
        Tensor t = SafeTensors.read(ok).tensors().get("bn.num_batches_tracked");
        assertEquals(io.vq4j.ops.DType.I32, t.dtype());
        assertEquals(0, t.rank());
        assertEquals(1234, t.hostInts()[0]);

        Path big = dir.resolve("big.safetensors");
        Files.write(big, concat(le64(h.length), h, le64(1L << 40)));
        String m = readError(big);
        assertTrue(m.contains("'bn.num_batches_tracked' (I64) holds 1099511627776") && m.contains("int32"), m);
    }

    private void assertHeaderError(String json, int dataBytes, String expected) throws IOException {
        Path p = writeRaw("model.safetensors", json, dataBytes);
        String m = readError(p);
        assertTrue(m.startsWith("model.safetensors: ") && m.contains(expected), "header " + json + "\n  gave: " + m);
    }

    private Path writeRaw(String name, String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        Path p = dir.resolve(name);
        Files.write(p, concat(le64(h.length), h, new byte[dataBytes]));
        return p;
    }

    private static String readError(Path p) {
        return assertThrows(FileFormatException.class, () -> SafeTensors.read(p)).getMessage();
    }

    private static void assertIae(org.junit.jupiter.api.function.Executable e, String expected) {
        String m = assertThrows(IllegalArgumentException.class, e).getMessage();
        assertTrue(m.contains(expected), m);
    }

    private List<Path> listDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    private static long headerLength(Path p) throws IOException {
        byte[] all = Files.readAllBytes(p);
        return ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static float[] rawBits(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = Float.intBitsToFloat(r.nextInt());
        return a;
    }

    private static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) b[i] = Float.floatToRawIntBits(a[i]);
        return b;
    }

    static byte[] le64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }
}
