package io.vq4j.ops.layers;

import io.vq4j.TestData;
import io.vq4j.ops.BatchNormOut;
import io.vq4j.ops.BatchNormState;
import io.vq4j.ops.Conv2dSpec;
import io.vq4j.ops.CpuLayerOps;
import io.vq4j.ops.LayerGrads;
import io.vq4j.ops.LayerOps;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every CPU layer against PyTorch's own outputs and gradients (fixtures from
 * src/test/python/make_layer_fixtures.py): relative error ||a - b|| / ||b|| <= 1e-5 per tensor.
 */
class LayerFixturesTest {
    static final LayerOps OPS = new CpuLayerOps();
    static final double TOL = 1e-5;
    static final Map<String, LayerFixtures.Case> CASES = LayerFixtures.load();

    static Stream<String> caseNames() { return CASES.keySet().stream(); }

    @Test
    void everyLayerHasFixtures() {
        Set<String> layers = new java.util.HashSet<>();
        CASES.values().forEach(c -> layers.add(c.layer()));
        assertEquals(Set.of("conv2d", "convTranspose2d", "batchNorm2dTrain", "batchNorm2dEval", "leakyRelu", "relu",
                "tanh", "sigmoid", "linear"), layers);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("caseNames")
    void matchesPyTorch(String name) {
        LayerFixtures.Case c = CASES.get(name);
        Map<String, Tensor> got = run(OPS, t -> t, c);
        double worst = 0;
        StringBuilder detail = new StringBuilder();
        for (Map.Entry<String, Tensor> e : got.entrySet()) {
            Tensor want = c.tensor(e.getKey());
            assertArrayEquals(want.shape(), e.getValue().shape(), name + ": shape of " + e.getKey());
            double err = TestData.relError(e.getValue().toFloatArray(), want.toFloatArray());
            detail.append(' ').append(e.getKey()).append('=').append(String.format("%.1e", err));
            worst = Math.max(worst, err);
        }
        System.out.printf("[fixture] layer=%s case=%s maxRelErr=%.2e (%s) [%s]%n", c.layer(), name, worst,
                detail.toString().strip(), c.origin());
        assertTrue(worst <= TOL, name + " vs PyTorch (" + c.origin() + "): relErr" + detail);
    }

    /**
     * Runs the case's layer with {@code OPS} on its inputs, each passed through {@code in} first
     * (the identity for the CPU, an upload for the GPU); returns our tensors under the fixture's names.
     */
    static Map<String, Tensor> run(LayerOps OPS, java.util.function.UnaryOperator<Tensor> in, LayerFixtures.Case c0) {
        LayerFixtures.Case c = c0.mapTensors(in);
        Map<String, Tensor> out = new LinkedHashMap<>();
        switch (c.layer()) {
            case "conv2d", "convTranspose2d" -> {
                boolean t = c.layer().equals("convTranspose2d");
                Conv2dSpec spec = t ? Conv2dSpec.transposed(c.intParam("stride"), c.intParam("padding"), c.intParam("outputPadding"))
                        : Conv2dSpec.of(c.intParam("stride"), c.intParam("padding"));
                Tensor x = c.tensor("x"), w = c.tensor("weight"), b = c.tensor("bias"), g = c.tensor("g");
                out.put("out", t ? OPS.convTranspose2d(x, w, b, spec) : OPS.conv2d(x, w, b, spec));
                LayerGrads d = t ? OPS.convTranspose2dBackward(g, x, w, true, spec) : OPS.conv2dBackward(g, x, w, true, spec);
                putGrads(out, d, "dx", "dweight", "dbias");
            }
            case "batchNorm2dTrain" -> {
                Tensor x = c.tensor("x"), gamma = c.tensor("gamma"), beta = c.tensor("beta");
                BatchNormState running = new BatchNormState(in.apply(Tensor.of(c0.floats("runningMean"), x.dim(1))),
                        in.apply(Tensor.of(c0.floats("runningVar"), x.dim(1))));
                BatchNormOut r = OPS.batchNorm2dTrain(x, gamma, beta, running, c.floatParam("momentum"), c.floatParam("eps"));
                out.put("out", r.y());
                out.put("saveMean", r.saveMean());
                out.put("saveInvstd", r.saveInvstd());
                out.put("runningMeanAfter", running.runningMean());
                out.put("runningVarAfter", running.runningVar());
                putGrads(out, OPS.batchNorm2dBackward(c.tensor("g"), x, gamma, r.saveMean(), r.saveInvstd()),
                        "dx", "dgamma", "dbeta");
            }
            case "batchNorm2dEval" -> {
                BatchNormState running = new BatchNormState(in.apply(c0.tensor("runningMean").toHost()),
                        in.apply(c0.tensor("runningVar").toHost()));
                out.put("out", OPS.batchNorm2dEval(c.tensor("x"), c.tensor("gamma"), c.tensor("beta"), running,
                        c.floatParam("eps")));
            }
            case "relu" -> {
                Tensor y = OPS.relu(c.tensor("x"));
                out.put("out", y);
                out.put("dx", OPS.reluBackward(c.tensor("g"), y));
            }
            case "leakyRelu" -> {
                float slope = c.floatParam("slope");
                out.put("out", OPS.leakyRelu(c.tensor("x"), slope));
                out.put("dx", OPS.leakyReluBackward(c.tensor("g"), c.tensor("x"), slope));
            }
            case "tanh" -> {
                Tensor y = OPS.tanh(c.tensor("x"));
                out.put("out", y);
                out.put("dx", OPS.tanhBackward(c.tensor("g"), y));
            }
            case "sigmoid" -> {
                Tensor y = OPS.sigmoid(c.tensor("x"));
                out.put("out", y);
                out.put("dx", OPS.sigmoidBackward(c.tensor("g"), y));
            }
            case "linear" -> {
                Tensor x = c.tensor("x"), w = c.tensor("weight");
                out.put("out", OPS.linear(x, w, c.tensor("bias")));
                putGrads(out, OPS.linearBackward(c.tensor("g"), x, w, true), "dx", "dweight", "dbias");
            }
            default -> throw new IllegalStateException("fixture " + c.name() + ": unknown layer " + c.layer());
        }
        return out;
    }

    private static void putGrads(Map<String, Tensor> out, LayerGrads d, String dx, String dw, String db) {
        out.put(dx, d.dInput());
        out.put(dw, d.dWeight());
        out.put(db, d.dBias());
    }
}
