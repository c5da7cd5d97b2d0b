package io.vq4j.io;

import io.vq4j.TestData;
import io.vq4j.ops.DType;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Interop with the Python safetensors library (and torch): writes target/safetensors-interop/
 * (vq4j.safetensors plus one NAME.npy per tensor), runs src/test/python/check_safetensors.py on it
 * when python3 can import safetensors, and reads back the python.safetensors it writes. Skipped,
 * saying how to run it by hand, when neither the library nor an earlier python.safetensors is there.
 */
class SafeTensorsInteropTest {
    private static final Path DIR = Path.of("target", "safetensors-interop");
    private static final String PYTHON = System.getProperty("vq4j.python", "python3");

    /** Fixed content (fixed seeds), so a python.safetensors from an earlier run still matches. */
    private static Map<String, Tensor> tensors() {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("encoder.conv1.weight", Tensor.of(TestData.gaussian(1, 64 * 3 * 4 * 4, 0.1), 64, 3, 4, 4));
        t.put("encoder.conv1.bias", Tensor.of(TestData.gaussian(2, 64, 0.1), 64));
        t.put("quantizer.codebook", Tensor.of(TestData.gaussian(3, 257 * 3, 1), 257, 3));
        t.put("special", Tensor.of(new float[] {Float.NaN, Float.POSITIVE_INFINITY, -0f, Float.MIN_VALUE,
                Float.intBitsToFloat(0x7FBADBAD), -Float.MAX_VALUE, 1e-40f}, 7));
        t.put("scale", Tensor.of(new float[] {0.25f}));
        t.put("empty", Tensor.of(new float[0], 0, 3));
        t.put("step", Tensor.ofInts(new int[] {1234}));
        t.put("codes", Tensor.ofInts(TestData.ints(4, 2 * 13 * 13, 1024), 2, 13, 13));
        return t;
    }

    @Test
    void pythonReadsOurFileAndWeReadItsFile() throws Exception {
        Files.createDirectories(DIR);
        try (Stream<Path> old = Files.list(DIR)) {
            for (Path p : old.filter(p -> p.toString().endsWith(".npy")).toList()) Files.delete(p);
        }
        Map<String, Tensor> t = tensors();
        SafeTensors.write(DIR.resolve("vq4j.safetensors"), t, Map.of("format", "pt"));
        for (var e : t.entrySet()) Npy.write(DIR.resolve(e.getKey() + ".npy"), e.getValue());

        Path script = Path.of("src", "test", "python", "check_safetensors.py");
        if (run(false, PYTHON, "-c", "import safetensors, numpy") == 0) {
            assertEquals(0, run(true, PYTHON, script.toString(), DIR.toString()), "check_safetensors.py failed (output above)");
        }
        Path fromPython = DIR.resolve("python.safetensors");
        Assumptions.assumeTrue(Files.exists(fromPython), PYTHON + " cannot import safetensors; run by hand: python3 "
                + script + " " + DIR + ", then this test again");

        SafeTensorsFile f = SafeTensors.read(fromPython);
        assertEquals(Map.of("format", "pt", "writer", "python"), f.metadata());
        for (var e : t.entrySet()) {
            Tensor a = e.getValue(), b = f.tensor(e.getKey());
            assertEquals(a.describe(), b.describe(), e.getKey());
            if (a.dtype() == DType.F32) assertArrayEquals(bits(a.hostFloats()), bits(b.hostFloats()), e.getKey());
            else assertArrayEquals(a.hostInts(), b.hostInts(), e.getKey());
        }
        Tensor arange = f.tensor("python.arange");
        assertEquals("I32[2, 5]", arange.describe());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, arange.hostInts());
        assertEquals(t.size() + 1, f.tensors().size());
        System.out.println("[io] safetensors interop with Python: ok (" + f.tensors().size() + " tensors)");
    }

    private static int run(boolean echo, String... command) {
        try {
            Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            if (echo && !out.isBlank()) System.out.print(out);
            return p.exitValue();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) b[i] = Float.floatToRawIntBits(a[i]);
        return b;
    }
}
