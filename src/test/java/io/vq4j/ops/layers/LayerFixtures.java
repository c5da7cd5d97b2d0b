package io.vq4j.ops.layers;

import io.vq4j.ops.Tensor;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the PyTorch reference cases written by src/test/python/make_layer_fixtures.py from the
 * test classpath ({@code /fixtures/layers/}): {@code index.txt} lists each case (layer and
 * parameters) and its tensors (shape, offset), and {@code <case>.bin} holds the tensors as
 * little-endian float32.
 */
final class LayerFixtures {
    private LayerFixtures() {}

    static final String DIR = "/fixtures/layers/";

    /** One recorded case: the layer it exercises, its parameters and its named tensors. */
    record Case(String name, String layer, Map<String, String> params, Map<String, Tensor> tensors, String origin) {
        Tensor tensor(String n) {
            Tensor t = tensors.get(n);
            if (t == null) throw new IllegalStateException("fixture " + name + " has no tensor '" + n + "' (has " + tensors.keySet() + ")");
            return t;
        }

        float[] floats(String n) { return tensor(n).toFloatArray(); }

        /** The same case with every tensor passed through {@code f} (e.g. uploaded to the GPU). */
        Case mapTensors(java.util.function.UnaryOperator<Tensor> f) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            tensors.forEach((k, v) -> m.put(k, f.apply(v)));
            return new Case(name, layer, params, m, origin);
        }

        int intParam(String k) { return Integer.parseInt(param(k)); }

        float floatParam(String k) { return Float.parseFloat(param(k)); }

        private String param(String k) {
            String v = params.get(k);
            if (v == null) throw new IllegalStateException("fixture " + name + " has no parameter '" + k + "' (has " + params + ")");
            return v;
        }
    }

    /** All cases in index order, keyed by name. */
    static Map<String, Case> load() {
        Map<String, String> layers = new LinkedHashMap<>();
        Map<String, Map<String, String>> params = new LinkedHashMap<>();
        Map<String, Map<String, int[]>> shapes = new LinkedHashMap<>();
        Map<String, Map<String, Integer>> offsets = new LinkedHashMap<>();
        StringBuilder origin = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(open("index.txt"), StandardCharsets.UTF_8))) {
            String line;
            int no = 0;
            while ((line = r.readLine()) != null) {
                no++;
                line = line.strip();
                if (line.startsWith("# torch")) origin.append(line.substring(2));
                if (line.isEmpty() || line.startsWith("#")) continue;
                String[] f = line.split("\\s+");
                switch (f[0]) {
                    case "case" -> {
                        layers.put(f[1], f[2]);
                        Map<String, String> p = new LinkedHashMap<>();
                        for (int i = 3; i < f.length; i++) {
                            int eq = f[i].indexOf('=');
                            p.put(f[i].substring(0, eq), f[i].substring(eq + 1));
                        }
                        params.put(f[1], p);
                        shapes.put(f[1], new LinkedHashMap<>());
                        offsets.put(f[1], new LinkedHashMap<>());
                    }
                    case "tensor" -> {
                        if (!shapes.containsKey(f[1])) throw new IllegalStateException("index.txt:" + no + ": tensor of unknown case " + f[1]);
                        shapes.get(f[1]).put(f[2], Arrays.stream(f[3].split(",")).mapToInt(Integer::parseInt).toArray());
                        offsets.get(f[1]).put(f[2], Integer.parseInt(f[4]));
                    }
                    default -> throw new IllegalStateException("index.txt:" + no + ": cannot read '" + line + "'");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Case> cases = new LinkedHashMap<>();
        for (String name : layers.keySet()) {
            float[] all = readFloats(name + ".bin");
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, int[]> e : shapes.get(name).entrySet()) {
                int off = offsets.get(name).get(e.getKey());
                int len = (int) Tensor.numel(e.getValue());
                if (off + len > all.length) {
                    throw new IllegalStateException(name + ".bin has " + all.length + " floats; tensor " + e.getKey()
                            + " needs [" + off + ", " + (off + len) + ")");
                }
                tensors.put(e.getKey(), Tensor.of(Arrays.copyOfRange(all, off, off + len), e.getValue()));
            }
            cases.put(name, new Case(name, layers.get(name), params.get(name), tensors, origin.toString()));
        }
        return cases;
    }

    private static InputStream open(String file) {
        InputStream in = LayerFixtures.class.getResourceAsStream(DIR + file);
        if (in == null) {
            throw new IllegalStateException("missing fixture " + DIR + file
                    + " (regenerate with: python3 src/test/python/make_layer_fixtures.py --device cpu)");
        }
        return in;
    }

    private static float[] readFloats(String file) {
        try (InputStream in = open(file)) {
            byte[] bytes = in.readAllBytes();
            if (bytes.length % 4 != 0) throw new IllegalStateException(file + " is " + bytes.length + " bytes, not whole floats");
            float[] out = new float[bytes.length / 4];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
