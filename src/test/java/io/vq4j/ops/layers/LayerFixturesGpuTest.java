package io.vq4j.ops.layers;

import io.vq4j.GpuTest;
import io.vq4j.TestData;
import io.vq4j.ops.CudaLayerOps;
import io.vq4j.ops.CudaOps;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every cuDNN / cuBLAS / kernel layer against PyTorch's fixtures, as {@link LayerFixturesTest} does for the CPU. */
class LayerFixturesGpuTest extends GpuTest {
    static CudaOps ops;
    static CudaLayerOps layers;

    @BeforeAll
    static void open() {
        ops = new CudaOps();
        layers = new CudaLayerOps(ops);
    }

    @AfterAll
    static void close() {
        if (layers != null) layers.close();
        if (ops != null) ops.close();
    }

    static Stream<String> caseNames() { return LayerFixturesTest.CASES.keySet().stream(); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("caseNames")
    void matchesPyTorch(String name) {
        LayerFixtures.Case c = LayerFixturesTest.CASES.get(name);
        Map<String, Tensor> got = LayerFixturesTest.run(layers, ops::upload, c);
        double worst = 0;
        StringBuilder detail = new StringBuilder();
        for (Map.Entry<String, Tensor> e : got.entrySet()) {
            Tensor want = c.tensor(e.getKey());
            assertArrayEquals(want.shape(), e.getValue().shape(), name + ": shape of " + e.getKey());
            double err = TestData.relError(e.getValue().toFloatArray(), want.toFloatArray());
            detail.append(' ').append(e.getKey()).append('=').append(String.format("%.1e", err));
            worst = Math.max(worst, err);
            e.getValue().close();
        }
        System.out.printf("[gpu] op=layerFixture.%s case=%s maxRelErr=%.2e (%s) [%s]%n", c.layer(), name, worst,
                detail.toString().strip(), c.origin());
        assertTrue(worst <= LayerFixturesTest.TOL, name + " vs PyTorch (" + c.origin() + "): relErr" + detail);
    }
}
