package io.vq4j.ops.layers;

import io.vq4j.ops.BatchNormState;
import io.vq4j.ops.Conv2dSpec;
import io.vq4j.ops.CpuLayerOps;
import io.vq4j.ops.DType;
import io.vq4j.ops.LayerOps;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad arguments give IllegalArgumentException naming the op and the shapes. */
class LayerChecksTest {
    static final LayerOps OPS = new CpuLayerOps();

    static Tensor t(int... shape) { return Tensor.zeros(DType.F32, shape); }

    static void fails(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message \"" + e.getMessage() + "\" should contain \"" + f + "\"");
        }
    }

    @Test
    void conv2dChannelsMismatch() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OPS.conv2d(t(2, 4, 9, 9), t(8, 3, 3, 3), null, Conv2dSpec.of(1, 1)));
        assertEquals("conv2d: input [2, 4, 9, 9] has 4 channels but weight [8, 3, 3, 3] expects 3", e.getMessage());
    }

    @Test
    void conv2dShapes() {
        Conv2dSpec s = Conv2dSpec.of(1, 0);
        fails(() -> OPS.conv2d(t(1, 3, 2, 2), t(4, 3, 3, 3), null, s), "conv2d", "[1, 3, 2, 2]", "smaller than the 3x3 kernel");
        fails(() -> OPS.conv2d(t(3, 9, 9), t(4, 3, 3, 3), null, s), "conv2d", "input must be [N, C, H, W]", "[3, 9, 9]");
        fails(() -> OPS.conv2d(t(1, 3, 9, 9), t(4, 3, 3), null, s), "conv2d", "weight", "[4, 3, 3]");
        fails(() -> OPS.conv2d(t(1, 3, 9, 9), t(4, 3, 3, 3), t(5), s), "conv2d", "bias [5] must be [4]");
        fails(() -> OPS.conv2d(t(0, 3, 9, 9), t(4, 3, 3, 3), null, s), "conv2d", "[0, 3, 9, 9] is empty");
        fails(() -> OPS.conv2d(t(1, 3, 9, 9), t(4, 3, 3, 3), null, Conv2dSpec.transposed(2, 1, 1)), "conv2d", "outputPadding");
        fails(() -> OPS.conv2d(t(1, 3, 9, 9), t(4, 3, 3, 3), null, null), "conv2d", "spec");
        fails(() -> OPS.conv2d(null, t(4, 3, 3, 3), null, s), "conv2d: input must not be null");
        fails(() -> OPS.conv2dBackward(t(1, 4, 8, 8), t(1, 3, 9, 9), t(4, 3, 3, 3), true, s),
                "conv2dBackward", "gradOut [1, 4, 8, 8] must be [1, 4, 7, 7]");
    }

    @Test
    void convTranspose2dShapes() {
        Conv2dSpec s = Conv2dSpec.transposed(2, 1, 1);
        fails(() -> OPS.convTranspose2d(t(2, 4, 5, 5), t(3, 8, 3, 3), null, s),
                "convTranspose2d: input [2, 4, 5, 5] has 4 channels but weight [3, 8, 3, 3]", "expects 3");
        fails(() -> OPS.convTranspose2d(t(2, 3, 5, 5), t(3, 8, 3, 3), t(3), s), "convTranspose2d", "bias [3] must be [8]");
        fails(() -> OPS.convTranspose2d(t(1, 1, 1, 1), t(1, 1, 1, 1), null, Conv2dSpec.transposed(1, 1, 0)),
                "convTranspose2d", "empty output");
        fails(() -> OPS.convTranspose2dBackward(t(2, 8, 9, 9), t(2, 3, 5, 5), t(3, 8, 3, 3), false, s),
                "convTranspose2dBackward", "gradOut [2, 8, 9, 9] must be [2, 8, 10, 10]");
    }

    @Test
    void specRules() {
        fails(() -> Conv2dSpec.of(0, 1), "stride must be >= 1");
        fails(() -> Conv2dSpec.of(1, -1), "padding must be >= 0");
        fails(() -> Conv2dSpec.transposed(2, 1, 2), "outputPadding (2, 2) must be smaller than stride (2, 2)");
    }

    @Test
    void batchNormShapes() {
        fails(() -> OPS.batchNorm2dTrain(t(1, 3, 1, 1), t(3), t(3), null),
                "batchNorm2dTrain", "[1, 3, 1, 1]", "one value per channel");
        fails(() -> OPS.batchNorm2dTrain(t(2, 3, 4, 4), t(4), t(3), null), "batchNorm2dTrain", "gamma [4] must be [C] = [3]");
        fails(() -> OPS.batchNorm2dTrain(t(2, 3, 4, 4), t(3), t(3), BatchNormState.initial(2)),
                "batchNorm2dTrain", "runningMean [2] must be [C] = [3]");
        fails(() -> OPS.batchNorm2dTrain(t(2, 3, 4, 4), t(3), t(3), null, 1.5f, 1e-5f), "momentum must be in [0, 1]");
        fails(() -> OPS.batchNorm2dTrain(t(2, 3, 4, 4), t(3), t(3), null, 0.1f, 0f), "eps must be finite and > 0");
        fails(() -> OPS.batchNorm2dEval(t(2, 3, 4, 4), t(3), t(3), null), "batchNorm2dEval", "running statistics");
        fails(() -> OPS.batchNorm2dBackward(t(2, 3, 4, 5), t(2, 3, 4, 4), t(3), t(3), t(3)),
                "batchNorm2dBackward", "gradOut [2, 3, 4, 5] must be [2, 3, 4, 4]");
        fails(() -> OPS.batchNorm2dTrain(t(2, 3, 4), t(3), t(3), null), "batchNorm2dTrain", "[N, C, H, W]");
    }

    @Test
    void linearShapes() {
        fails(() -> OPS.linear(t(4, 3), t(5, 2), null), "linear: input [4, 3] has 3 features but weight [5, 2] expects 2");
        fails(() -> OPS.linear(t(4, 3, 1), t(5, 3), null), "linear", "input must be [N, in]");
        fails(() -> OPS.linear(t(4, 3), t(5, 3), t(4)), "linear", "bias [4] must be [5]");
        fails(() -> OPS.linearBackward(t(4, 4), t(4, 3), t(5, 3), true), "linearBackward", "gradOut [4, 4] must be [4, 5]");
    }

    @Test
    void activationsAndTensorKinds() {
        fails(() -> OPS.reluBackward(t(2, 3), t(3, 2)), "reluBackward", "gradOut [2, 3] must be [3, 2]");
        fails(() -> OPS.leakyRelu(t(2), Float.NaN), "leakyRelu", "slope must be finite");
        fails(() -> OPS.tanh(Tensor.zeros(DType.I32, 3)), "tanh", "input must be F32");
        Tensor closed = t(3);
        closed.close();
        fails(() -> OPS.sigmoid(closed), "sigmoid", "is closed");
    }
}
