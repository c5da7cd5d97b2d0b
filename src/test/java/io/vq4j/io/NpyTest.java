package io.vq4j.io;

import io.vq4j.TestData;
import io.vq4j.ops.DType;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class NpyTest {
    @TempDir Path dir;
    private final long seed = System.nanoTime();

    @Test
    void roundTripsEveryRank() throws IOException {
        List<int[]> shapes = List.of(new int[] {}, new int[] {1}, new int[] {13}, new int[] {3, 4},
                new int[] {2, 3, 4, 5}, new int[] {0, 5}, new int[] {1_000_003});
        for (int[] shape : shapes) {
            int n = (int) Tensor.numel(shape);
            Tensor f = Tensor.of(TestData.gaussian(seed, n, 1), shape);
            Tensor i = Tensor.ofInts(TestData.ints(seed, n, 16384), shape);
            for (Tensor t : List.of(f, i)) {
                Path p = dir.resolve("t.npy");
                Npy.write(p, t);
                assertEquals(0, Files.size(p) % 4);
                Tensor back = Npy.read(p);
                String what = t.describe() + " seed=" + seed;
                assertEquals(t.dtype(), back.dtype(), what);
                assertArrayEquals(t.shape(), back.shape(), what);
                if (t.dtype() == DType.F32) assertArrayEquals(t.hostFloats(), back.hostFloats(), what);
                else assertArrayEquals(t.hostInts(), back.hostInts(), what);
            }
        }
    }

    /**
     * The header numpy writes (format.py): magic \x93NUMPY, version 1.0, uint16 LE header
     * length, the dict repr with keys sorted, 21 - len(str(shape[0])) spaces of room for the
     * first axis to grow (none for rank 0), then spaces and '\n' so the data starts at a multiple
     * of 64 (a whole 64 bytes of padding when it already would). Lengths taken from np.save.
     */
    @Test
    void headerIsExactlyWhatNumpyWrites() {
        assertHeader(DType.F32, new int[] {2, 3}, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 118);
        assertHeader(DType.I32, new int[] {}, "{'descr': '<i4', 'fortran_order': False, 'shape': (), }", 118);
        assertHeader(DType.I32, new int[] {7}, "{'descr': '<i4', 'fortran_order': False, 'shape': (7,), }", 118);
        assertHeader(DType.F32, new int[] {1, 2, 3, 4}, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3, 4), }", 118);
        assertHeader(DType.F32, new int[] {0, 5}, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }", 118);
        // Long shapes need a second 64-byte block; the second one only because of the growth room.
        int m = 1_000_003;
        assertHeader(DType.F32, new int[] {1, m, m, m, m, m, 7}, "{'descr': '<f4', 'fortran_order': False, 'shape': "
                + "(1, 1000003, 1000003, 1000003, 1000003, 1000003, 7), }", 182);
        assertHeader(DType.F32, new int[] {m, m, m, m, m, m, m, 7}, "{'descr': '<f4', 'fortran_order': False, 'shape': "
                + "(1000003, 1000003, 1000003, 1000003, 1000003, 1000003, 1000003, 7), }", 182);
    }

    private static void assertHeader(DType dtype, int[] shape, String dict, int headerLen) {
        byte[] h = Npy.header(dtype, shape);
        ByteBuffer b = ByteBuffer.allocate(10 + headerLen).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) headerLen);
        b.put(dict.getBytes(StandardCharsets.US_ASCII));
        while (b.remaining() > 1) b.put((byte) ' ');
        b.put((byte) '\n');
        assertEquals(new String(b.array(), StandardCharsets.ISO_8859_1), new String(h, StandardCharsets.ISO_8859_1),
                Arrays.toString(shape));
        assertEquals(0, h.length % 64);
    }

    /** With python3 and numpy: our files are byte-identical to np.save's, and each side reads the other's. */
    @Test
    void interoperatesWithNumpy() throws Exception {
        Assumptions.assumeTrue(python("import numpy") == 0, "python3 with numpy is not available");
        // Content both sides can make: arange values, awkward shapes.
        String[][] cases = {{"f0", "float32", ""}, {"f1", "float32", "13"}, {"f4", "float32", "2,3,4,5"},
                {"i1", "int32", "1"}, {"i2", "int32", "3,0"}, {"i3", "int32", "7,1,3"}};
        StringBuilder py = new StringBuilder("import numpy as np\n");
        for (String[] c : cases) {
            int[] shape = c[2].isEmpty() ? new int[0] : Arrays.stream(c[2].split(",")).mapToInt(Integer::parseInt).toArray();
            int n = (int) Tensor.numel(shape);
            Tensor t;
            if (c[1].equals("float32")) {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) a[i] = i * 0.5f - 3f;
                t = Tensor.of(a, shape);
            } else {
                int[] a = new int[n];
                for (int i = 0; i < n; i++) a[i] = i * 7 - 11;
                t = Tensor.ofInts(a, shape);
            }
            Npy.write(dir.resolve(c[0] + ".java.npy"), t);
            String ref = c[1].equals("float32") ? "np.arange(%d, dtype=np.float32) * np.float32(0.5) - np.float32(3)"
                    : "np.arange(%d, dtype=np.int32) * 7 - 11";
            String arr = "(" + String.format(ref, n) + ").reshape((" + c[2] + (shape.length == 1 ? "," : "") + "))";
            py.append("a = ").append(arr).append("\n")
              .append("np.save(r'").append(dir.resolve(c[0] + ".numpy.npy")).append("', a)\n")
              .append("b = np.load(r'").append(dir.resolve(c[0] + ".java.npy")).append("')\n")
              .append("assert b.dtype == a.dtype and b.shape == a.shape and np.array_equal(a, b), '").append(c[0]).append("'\n");
        }
        Path script = dir.resolve("check.py");
        Files.writeString(script, py);
        assertEquals(0, python(script.toString()), "numpy could not read our files the same (see stderr)");
        for (String[] c : cases) {
            byte[] ours = Files.readAllBytes(dir.resolve(c[0] + ".java.npy"));
            byte[] theirs = Files.readAllBytes(dir.resolve(c[0] + ".numpy.npy"));
            assertArrayEquals(theirs, ours, c[0] + ": bytes differ from np.save's");
            Tensor back = Npy.read(dir.resolve(c[0] + ".numpy.npy"));
            Tensor mine = Npy.read(dir.resolve(c[0] + ".java.npy"));
            assertEquals(mine.describe(), back.describe());
        }
    }

    @Test
    void malformedFilesAreClearErrors() throws IOException {
        assertError(new byte[] {1, 2, 3}, "not a .npy file");
        assertError(bytes("\u0093NUMPY\u0009\u0000"), "unsupported .npy format version 9.0");
        assertError(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", 8), "dtype '<f8' is not supported");
        assertError(npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", 4), "dtype '>f4' is not supported");
        assertError(npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", 8), "dtype '<i8' is not supported");
        assertError(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16), "fortran_order is True");
        assertError(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20),
                "F32[2, 3] needs 24 data bytes but the file ends after 20 of them");
        assertError(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 28), "(4 extra)");
        assertError(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", 0), "must hold integers");
        assertError(npy("{'descr': '<f4', 'fortran_order': False, }", 0), "header keys are [descr, fortran_order]");
        assertError(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3) ", 24), "malformed header");
        assertError(npy("{'descr': <f4, 'fortran_order': False, 'shape': (2,)}", 8), "malformed header");
        assertError(npy("{'descr': None, 'fortran_order': False, 'shape': (2,)}", 8), "dtype None is not supported");
        byte[] whole = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24);
        assertError(Arrays.copyOf(whole, 40), "runs past the end of the file");
    }

    @Test
    void otherValidHeadersAreRead() throws IOException {
        // Key order and spacing vary between writers; version 2.0 has a 4-byte header length.
        Path p = dir.resolve("v.npy");
        Files.write(p, npy("{\"shape\": (2,3), \"fortran_order\": False, \"descr\": \"<i4\"}", 24));
        assertArrayEquals(new int[] {2, 3}, Npy.read(p).shape());
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n";
        ByteBuffer b = ByteBuffer.allocate(12 + dict.length() + 12).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0}).putInt(dict.length()).put(bytes(dict));
        b.putFloat(1f).putFloat(2f).putFloat(3f);
        Files.write(p, b.array());
        assertArrayEquals(new float[] {1, 2, 3}, Npy.read(p).hostFloats());
    }

    private void assertError(byte[] content, String expected) throws IOException {
        Path p = dir.resolve("codes.npy");
        Files.write(p, content);
        String m = assertThrows(FileFormatException.class, () -> Npy.read(p)).getMessage();
        assertTrue(m.startsWith("codes.npy: ") && m.contains(expected), m);
    }

    /** A version 1.0 file with this header text (padded to 64 like numpy) and {@code dataBytes} zero bytes. */
    private static byte[] npy(String dict, int dataBytes) {
        int hlen = dict.length() + 1;
        int pad = 64 - (10 + hlen) % 64;
        ByteBuffer b = ByteBuffer.allocate(10 + hlen + pad + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) (hlen + pad)).put(bytes(dict));
        for (int i = 0; i < pad; i++) b.put((byte) ' ');
        b.put((byte) '\n');
        return b.array();
    }

    private static byte[] bytes(String latin1) { return latin1.getBytes(StandardCharsets.ISO_8859_1); }

    /** Runs python3 with a script file or, for a short statement, -c; returns its exit code (-1 if absent). */
    static int python(String scriptOrStatement) {
        try {
            boolean file = scriptOrStatement.endsWith(".py");
            ProcessBuilder pb = file ? new ProcessBuilder("python3", scriptOrStatement)
                    : new ProcessBuilder("python3", "-c", scriptOrStatement);
            Process p = pb.redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            if (p.exitValue() != 0 && file) System.out.println(out);
            return p.exitValue();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
