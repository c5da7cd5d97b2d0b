package io.vq4j.nn;

import io.vq4j.TestData;
import io.vq4j.ops.BatchNormOut;
import io.vq4j.ops.BatchNormState;
import io.vq4j.ops.Conv2dSpec;
import io.vq4j.ops.LayerGrads;
import io.vq4j.ops.LayerOps;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every layer: forward and backward bit for bit against direct LayerOps calls (the right op with
 * the right arguments), and backward against central differences in double of its own forward.
 */
class LayersTest {
    static final Backend B = Backend.cpu();
    static final LayerOps L = B.layers();

    @AfterAll
    static void close() { B.close(); }

    static Tensor t(float[] a, int... shape) { return Tensor.of(a, shape); }

    /** Values away from activation kinks: |v| >= 0.1. */
    static float[] awayFromZero(long seed, int n) {
        float[] a = TestData.gaussian(seed, n, 1);
        for (int i = 0; i < a.length; i++) a[i] = a[i] >= 0 ? a[i] + 0.1f : a[i] - 0.1f;
        return a;
    }

    /**
     * Checks d<g, layer(x)>/dx and /dparams against the layer's backward with central differences.
     * The forward is float32, so differences use step h and a relative tolerance.
     */
    static void gradCheck(String what, Layer layer, Tensor x, double h, double tol) {
        Tensor y = layer.forward(x);
        float[] g = TestData.gaussian(99, (int) y.numel(), 1);
        float[] dx = layer.backward(t(g, y.shape())).toFloatArray();
        List<float[]> pg = new ArrayList<>();
        for (Parameter p : layer.parameters()) pg.add(p.grad().toFloatArray());

        double[] ndx = Fd.grad(x.hostFloats(), h, () -> Fd.dot(g, layer.forward(x)));
        double ex = TestData.relError(dx, ndx);
        assertTrue(ex < tol, what + ": dx rel err " + ex);
        int i = 0;
        for (Parameter p : layer.parameters()) {
            double[] np = Fd.grad(p.value().hostFloats(), h, () -> Fd.dot(g, layer.forward(x)));
            double e = TestData.relError(pg.get(i++), np);
            assertTrue(e < tol, what + ": d" + p.name() + " rel err " + e);
        }
    }

    static void assertBits(Tensor want, Tensor got, String what) {
        assertArrayEquals(want.shape(), got.shape(), what + " shape");
        assertArrayEquals(want.toFloatArray(), got.toFloatArray(), what);
    }

    // ---- bit for bit against the ops -----------------------------------------------------------

    @Test
    void conv2dCallsTheOp() {
        try (Conv2d c = new Conv2d(B, new Init(1), 3, 4, 3, 2, 1)) {
            Tensor x = t(TestData.gaussian(2, 2 * 3 * 7 * 7, 1), 2, 3, 7, 7);
            Tensor y = c.forward(x);
            assertBits(L.conv2d(x, c.weight().value(), c.bias().value(), Conv2dSpec.of(2, 1)), y, "conv2d y");
            Tensor g = t(TestData.gaussian(3, (int) y.numel(), 1), y.shape());
            Tensor dx = c.backward(g);
            LayerGrads want = L.conv2dBackward(g, x, c.weight().value(), true, Conv2dSpec.of(2, 1));
            assertBits(want.dInput(), dx, "conv2d dx");
            assertBits(want.dWeight(), c.weight().grad(), "conv2d dw");
            assertBits(want.dBias(), c.bias().grad(), "conv2d db");
            assertArrayEquals(new int[] {4, 3, 3, 3}, c.weight().shape());
        }
    }

    @Test
    void convTranspose2dCallsTheOp() {
        try (ConvTranspose2d c = new ConvTranspose2d(B, new Init(2), 3, 2, 3, 2, 1, 1)) {
            Tensor x = t(TestData.gaussian(4, 2 * 3 * 4 * 5, 1), 2, 3, 4, 5);
            Tensor y = c.forward(x);
            assertArrayEquals(new int[] {2, 2, 8, 10}, y.shape());
            Conv2dSpec spec = Conv2dSpec.transposed(2, 1, 1);
            assertBits(L.convTranspose2d(x, c.weight().value(), c.bias().value(), spec), y, "convT y");
            Tensor g = t(TestData.gaussian(5, (int) y.numel(), 1), y.shape());
            Tensor dx = c.backward(g);
            LayerGrads want = L.convTranspose2dBackward(g, x, c.weight().value(), true, spec);
            assertBits(want.dInput(), dx, "convT dx");
            assertBits(want.dWeight(), c.weight().grad(), "convT dw");
            assertBits(want.dBias(), c.bias().grad(), "convT db");
            assertArrayEquals(new int[] {3, 2, 3, 3}, c.weight().shape());
        }
    }

    @Test
    void linearCallsTheOp() {
        try (Linear l = new Linear(B, new Init(3), 7, 3)) {
            Tensor x = t(TestData.gaussian(6, 5 * 7, 1), 5, 7);
            Tensor y = l.forward(x);
            assertBits(L.linear(x, l.weight().value(), l.bias().value()), y, "linear y");
            Tensor g = t(TestData.gaussian(7, 15, 1), 5, 3);
            Tensor dx = l.backward(g);
            LayerGrads want = L.linearBackward(g, x, l.weight().value(), true);
            assertBits(want.dInput(), dx, "linear dx");
            assertBits(want.dWeight(), l.weight().grad(), "linear dw");
            assertBits(want.dBias(), l.bias().grad(), "linear db");
        }
    }

    @Test
    void batchNormTrainEvalAndBuffersMatchTheOps() {
        try (BatchNorm2d bn = new BatchNorm2d(B, 3)) {
            // non-trivial gamma/beta so they matter
            bn.weight().value().hostFloats()[1] = 1.5f;
            bn.bias().value().hostFloats()[2] = -0.25f;
            Tensor x = t(TestData.gaussian(8, 2 * 3 * 5 * 3, 2), 2, 3, 5, 3);
            BatchNormState running = BatchNormState.initial(3);
            Tensor y = bn.forward(x);
            BatchNormOut want = L.batchNorm2dTrain(x, bn.weight().value(), bn.bias().value(), running, 0.1f, 1e-5f);
            assertBits(want.y(), y, "bn y");
            assertBits(running.runningMean(), bn.runningMean().value(), "running_mean");
            assertBits(running.runningVar(), bn.runningVar().value(), "running_var");
            assertEquals(1, bn.numBatchesTracked().value().toIntArray()[0]);
            assertEquals(0, bn.numBatchesTracked().value().rank(), "num_batches_tracked is a scalar");

            Tensor g = t(TestData.gaussian(9, (int) y.numel(), 1), y.shape());
            Tensor dx = bn.backward(g);
            LayerGrads wg = L.batchNorm2dBackward(g, x, bn.weight().value(), want.saveMean(), want.saveInvstd());
            assertBits(wg.dInput(), dx, "bn dx");
            assertBits(wg.dWeight(), bn.weight().grad(), "bn dgamma");
            assertBits(wg.dBias(), bn.bias().grad(), "bn dbeta");

            bn.train(false);
            Tensor ye = bn.forward(x);
            assertBits(L.batchNorm2dEval(x, bn.weight().value(), bn.bias().value(), running, 1e-5f), ye, "bn eval");
            assertEquals(1, bn.numBatchesTracked().value().toIntArray()[0], "eval does not count batches");
            assertThrows(IllegalStateException.class, () -> bn.backward(g), "no backward after an eval forward");
        }
    }

    @Test
    void activationsCallTheOps() {
        Tensor x = t(awayFromZero(10, 2 * 3 * 4), 2, 3, 4);
        Tensor g = t(TestData.gaussian(11, 24, 1), 2, 3, 4);
        try (ReLU r = new ReLU(B); LeakyReLU lr = new LeakyReLU(B, 0.2f); Tanh th = new Tanh(B); Sigmoid sg = new Sigmoid(B)) {
            assertBits(L.relu(x), r.forward(x), "relu");
            assertBits(L.reluBackward(g, L.relu(x)), r.backward(g), "relu back");
            assertBits(L.leakyRelu(x, 0.2f), lr.forward(x), "leaky");
            assertBits(L.leakyReluBackward(g, x, 0.2f), lr.backward(g), "leaky back");
            assertBits(L.tanh(x), th.forward(x), "tanh");
            assertBits(L.tanhBackward(g, L.tanh(x)), th.backward(g), "tanh back");
            assertBits(L.sigmoid(x), sg.forward(x), "sigmoid");
            assertBits(L.sigmoidBackward(g, L.sigmoid(x)), sg.backward(g), "sigmoid back");
            assertTrue(r.parameters().isEmpty());
        }
    }

    // ---- finite differences -------------------------------------------------------------------

    @Test
    void conv2dGradients() {
        try (Conv2d c = new Conv2d(B, new Init(21), 2, 3, 3, 2, 1)) {
            gradCheck("conv2d", c, t(TestData.gaussian(22, 2 * 2 * 5 * 5, 1), 2, 2, 5, 5), 1e-2, 1e-3);
        }
        try (Conv2d c = new Conv2d(B, new Init(23), 3, 2, 1)) {
            gradCheck("conv2d 1x1", c, t(TestData.gaussian(24, 1 * 3 * 2 * 3, 1), 1, 3, 2, 3), 1e-2, 1e-3);
        }
    }

    @Test
    void convTranspose2dGradients() {
        try (ConvTranspose2d c = new ConvTranspose2d(B, new Init(25), 2, 3, 3, 2, 1, 1)) {
            gradCheck("convT", c, t(TestData.gaussian(26, 2 * 2 * 3 * 3, 1), 2, 2, 3, 3), 1e-2, 1e-3);
        }
        try (ConvTranspose2d c = new ConvTranspose2d(B, new Init(27), 3, 2, 1)) {
            gradCheck("convT 1x1", c, t(TestData.gaussian(28, 3 * 3 * 2, 1), 1, 3, 3, 2), 1e-2, 1e-3);
        }
    }

    @Test
    void linearGradients() {
        try (Linear l = new Linear(B, new Init(29), 4, 3)) {
            gradCheck("linear", l, t(TestData.gaussian(30, 5 * 4, 1), 5, 4), 1e-2, 1e-3);
        }
        try (Linear l = new Linear(B, new Init(31), 1, 1)) {
            gradCheck("linear 1x1", l, t(TestData.gaussian(32, 1, 1), 1, 1), 1e-2, 1e-3);
        }
    }

    @Test
    void batchNormGradients() {
        try (BatchNorm2d bn = new BatchNorm2d(B, 2)) {
            bn.weight().value().hostFloats()[0] = 0.7f;
            bn.bias().value().hostFloats()[1] = 0.3f;
            gradCheck("bn", bn, t(TestData.gaussian(33, 3 * 2 * 2 * 3, 1), 3, 2, 2, 3), 1e-3, 1e-2);
        }
    }

    @Test
    void activationGradients() {
        Tensor x = t(awayFromZero(34, 2 * 3 * 2 * 2), 2, 3, 2, 2);
        try (ReLU a = new ReLU(B)) { gradCheck("relu", a, x, 1e-3, 1e-3); }
        try (LeakyReLU a = new LeakyReLU(B, 0.2f)) { gradCheck("leaky", a, x, 1e-3, 1e-3); }
        try (Tanh a = new Tanh(B)) { gradCheck("tanh", a, x, 1e-3, 1e-3); }
        try (Sigmoid a = new Sigmoid(B)) { gradCheck("sigmoid", a, x, 1e-3, 1e-3); }
    }

    @Test
    void sequentialGradientsNamesAndOrder() {
        Init init = new Init(35);
        try (Sequential s = new Sequential(B, new Linear(B, init, 3, 5), new Tanh(B), new Linear(B, init, 5, 2))) {
            assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"),
                    s.parameters().stream().map(Parameter::name).toList());
            gradCheck("sequential", s, t(TestData.gaussian(36, 4 * 3, 1), 4, 3), 1e-2, 1e-3);
        }
    }

    // ---- initialisation and ownership --------------------------------------------------------

    @Test
    void initialisationBoundsFollowPyTorch() {
        // weights U(-1/sqrt(fan_in), 1/sqrt(fan_in)); ConvTranspose2d's fan_in is weight.size(1)*k*k
        try (Conv2d c = new Conv2d(B, new Init(40), 16, 32, 3);
             ConvTranspose2d ct = new ConvTranspose2d(B, new Init(41), 32, 4, 3, 2, 1, 1);
             Linear l = new Linear(B, new Init(42), 50, 20)) {
            checkBound(c.weight(), 1 / Math.sqrt(16 * 9));
            checkBound(c.bias(), 1 / Math.sqrt(16 * 9));
            checkBound(ct.weight(), 1 / Math.sqrt(4 * 9));
            checkBound(ct.bias(), 1 / Math.sqrt(4 * 9));
            checkBound(l.weight(), 1 / Math.sqrt(50));
            checkBound(l.bias(), 1 / Math.sqrt(50));
        }
    }

    static void checkBound(Parameter p, double bound) {
        double max = 0;
        for (float v : p.value().toFloatArray()) max = Math.max(max, Math.abs(v));
        assertTrue(max <= bound, p.name() + " max " + max + " > bound " + bound);
        // spread over the range: with >= 20 draws the largest is well above bound/2
        assertTrue(max > 0.5 * bound, p.name() + " max " + max + " is too small for bound " + bound);
    }

    @Test
    void layersOwnTheirOutputsAndFreeThemOnTheNextStep() {
        Conv2d c = new Conv2d(B, new Init(43), 2, 2, 3, 1, 1);
        Tensor x = t(TestData.gaussian(44, 2 * 4 * 4, 1), 1, 2, 4, 4);
        Tensor y1 = c.forward(x);
        Tensor g = t(TestData.gaussian(45, 32, 1), 1, 2, 4, 4);
        Tensor dx1 = c.backward(g);
        Tensor dw1 = c.weight().grad();
        Tensor dx2 = c.backward(g);
        assertTrue(dx1.isClosed(), "the previous input gradient is freed by the next backward");
        assertTrue(dw1.isClosed(), "the previous weight gradient is replaced, not kept");
        assertFalse(y1.isClosed(), "backward keeps the output");
        Tensor y2 = c.forward(x);
        assertTrue(y1.isClosed() && dx2.isClosed(), "the next forward frees the previous output and gradient");
        Tensor w = c.weight().value();
        c.close();
        assertTrue(y2.isClosed() && w.isClosed() && c.weight().grad().isClosed(), "close frees everything");
        assertFalse(x.isClosed(), "the caller's input is not the layer's");
        c.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> c.forward(x));
    }

    @Test
    void takeOutputHandsOwnershipOver() {
        try (Tanh th = new Tanh(B)) {
            Tensor x = t(new float[] {0.5f}, 1);
            Tensor y = th.forward(x);
            assertSame(y, th.takeOutput());
            th.forward(x);
            assertFalse(y.isClosed(), "a taken output is the caller's");
        }
    }
}
