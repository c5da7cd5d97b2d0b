package io.vq4j.ops.layers;

import io.vq4j.GpuTest;
import io.vq4j.TestData;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.ops.BatchNormOut;
import io.vq4j.ops.BatchNormState;
import io.vq4j.ops.Conv2dSpec;
import io.vq4j.ops.CpuLayerOps;
import io.vq4j.ops.CudaLayerOps;
import io.vq4j.ops.CudaOps;
import io.vq4j.ops.LayerGrads;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Each cuDNN / cuBLAS / kernel layer against its CPU twin on awkward shapes (odd sizes, batch 1,
 * channels 1 and 3, sizes not a multiple of any tile), in full FP32: relative error <= 1e-5.
 */
class CudaLayerOpsGpuTest extends GpuTest {
    static final double TOL = 1e-5;
    static final long SEED = System.nanoTime();
    static CudaOps ops;
    static CudaLayerOps gpu;
    static final CpuLayerOps cpu = new CpuLayerOps();
    final List<Tensor> owned = new ArrayList<>();

    @BeforeAll
    static void open() {
        ops = new CudaOps();
        gpu = new CudaLayerOps(ops);
    }

    @AfterAll
    static void close() {
        if (gpu != null) gpu.close();
    }

    private Tensor host(long seed, double scale, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        return Tensor.of(TestData.gaussian(seed, n, scale), shape);
    }

    private Tensor dev(Tensor h) {
        Tensor t = ops.upload(h);
        owned.add(t);
        return t;
    }

    private static double check(String what, Tensor got, Tensor want) {
        assertArrayEquals(want.shape(), got.shape(), what + ": shape");
        double err = TestData.relError(got.toFloatArray(), want.toFloatArray());
        System.out.printf("[gpu] op=%s relErr=%.3e%n", what, err);
        assertTrue(err <= TOL, what + " (seed " + SEED + "): relErr " + err);
        return err;
    }

    private static void checkGrads(String what, LayerGrads got, LayerGrads want) {
        check(what + ".dInput", got.dInput(), want.dInput());
        check(what + ".dWeight", got.dWeight(), want.dWeight());
        if (want.dBias() != null) check(what + ".dBias", got.dBias(), want.dBias());
        got.close();
    }

    /**
     * As checkGrads, but each error is measured against the larger of the reference's norm and
     * that of {@code sizes}, the same gradients of |g|, |x| and |w|: the sums of |terms|. A
     * gradient that is a sum of terms which happen to cancel (random data, a 1x1 case) is then
     * held to the rounding its terms allow, not to an arbitrarily small result.
     */
    private static void checkGrads(String what, LayerGrads got, LayerGrads want, LayerGrads sizes) {
        scaled(what + ".dInput", got.dInput(), want.dInput(), sizes.dInput());
        scaled(what + ".dWeight", got.dWeight(), want.dWeight(), sizes.dWeight());
        if (want.dBias() != null) scaled(what + ".dBias", got.dBias(), want.dBias(), sizes.dBias());
        got.close();
    }

    private static void scaled(String what, Tensor got, Tensor want, Tensor size) {
        assertArrayEquals(want.shape(), got.shape(), what + ": shape");
        float[] w = want.toFloatArray();
        double err = diffNorm(got.toFloatArray(), w)
                / Math.max(Math.sqrt(sumSquares(w)), Math.sqrt(sumSquares(size.toFloatArray())));
        System.out.printf("[gpu] op=%s relErr=%.3e (of the sum of |terms|)%n", what, err);
        assertTrue(err <= TOL, what + " (seed " + SEED + "): relErr " + err + " of the sum of |terms|");
    }

    private static Tensor abs(Tensor t) {
        float[] a = t.hostFloats().clone();
        for (int k = 0; k < a.length; k++) a[k] = Math.abs(a[k]);
        return Tensor.of(a, t.shape());
    }

    private static double sumSquares(float[] a) {
        double s = 0;
        for (float v : a) s += (double) v * v;
        return s;
    }

    private static double diffNorm(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
        return Math.sqrt(s);
    }

    private void release() {
        owned.forEach(Tensor::close);
        owned.clear();
    }

    @Test
    void convolutionsMatchTheCpu() {
        // the cuDNN workspace is kept and reused by design: count everything but it
        long live = DeviceBuffer.liveBytes() - gpu.workspaceBytes();
        // {N, C, H, W, O, k, stride, pad}
        int[][] cases = {{2, 3, 9, 9, 4, 3, 2, 1}, {1, 1, 7, 5, 1, 1, 1, 0}, {3, 5, 13, 11, 6, 3, 1, 0},
                {1, 3, 32, 32, 64, 3, 2, 1}, {4, 64, 16, 16, 128, 3, 2, 1}, {2, 256, 4, 4, 64, 1, 1, 0}};
        int i = 0;
        for (int[] c : cases) {
            long s = SEED + 100L * i++;
            Conv2dSpec spec = Conv2dSpec.of(c[6], c[7]);
            Tensor x = host(s, 1, c[0], c[1], c[2], c[3]), w = host(s + 1, 0.3, c[4], c[1], c[5], c[5]), b = host(s + 2, 0.5, c[4]);
            String what = "conv2d" + java.util.Arrays.toString(c);
            Tensor yCpu = cpu.conv2d(x, w, b, spec);
            try (Tensor y = gpu.conv2d(dev(x), dev(w), dev(b), spec)) {
                check(what + ".y", y, yCpu);
            }
            Tensor g = host(s + 3, 1, yCpu.shape());
            checkGrads(what, gpu.conv2dBackward(dev(g), dev(x), dev(w), true, spec), cpu.conv2dBackward(g, x, w, true, spec),
                    cpu.conv2dBackward(abs(g), abs(x), abs(w), true, spec));
            release();
        }
        // {N, C, H, W, O, k, stride, pad, outPad}: the reference decoder's 3x3 s2 p1 op1, and 1x1
        int[][] tcases = {{2, 3, 5, 4, 4, 3, 2, 1, 1}, {1, 1, 7, 5, 1, 1, 1, 0, 0}, {3, 64, 8, 8, 256, 1, 1, 0, 0},
                {2, 256, 4, 4, 128, 3, 2, 1, 1}, {1, 5, 9, 7, 3, 3, 3, 1, 2}};
        for (int[] c : tcases) {
            long s = SEED + 100L * i++;
            Conv2dSpec spec = Conv2dSpec.transposed(c[6], c[7], c[8]);
            Tensor x = host(s, 1, c[0], c[1], c[2], c[3]), w = host(s + 1, 0.3, c[1], c[4], c[5], c[5]), b = host(s + 2, 0.5, c[4]);
            String what = "convTranspose2d" + java.util.Arrays.toString(c);
            Tensor yCpu = cpu.convTranspose2d(x, w, b, spec);
            try (Tensor y = gpu.convTranspose2d(dev(x), dev(w), dev(b), spec)) {
                check(what + ".y", y, yCpu);
            }
            Tensor g = host(s + 3, 1, yCpu.shape());
            checkGrads(what, gpu.convTranspose2dBackward(dev(g), dev(x), dev(w), true, spec),
                    cpu.convTranspose2dBackward(g, x, w, true, spec), cpu.convTranspose2dBackward(abs(g), abs(x), abs(w), true, spec));
            // without a bias too
            try (Tensor y = gpu.convTranspose2d(dev(x), dev(w), null, spec)) {
                check(what + ".yNoBias", y, cpu.convTranspose2d(x, w, null, spec));
            }
            release();
        }
        ops.synchronize();
        assertEquals(live, DeviceBuffer.liveBytes() - gpu.workspaceBytes(), "device buffers left open");
    }

    @Test
    void batchNormMatchesTheCpu() {
        // the last three split each channel's rows into several chunks (cuda/batch_norm.cu's parts > 1),
        // odd and multiple-of-4 planes; the last has a mean 1000 far above a spread of 0.01
        int[][] shapes = {{3, 5, 7, 4}, {1, 3, 1, 2}, {8, 64, 16, 16}, {13, 1, 3, 3}, {2, 3, 207, 207}, {4, 2, 128, 128},
            {3, 2, 64, 64}};
        int i = 0;
        for (int[] d : shapes) {
            long s = SEED + 1000L * ++i;
            int c = d[1];
            boolean offset = i == shapes.length;
            Tensor x = offset ? shifted(host(s, 0.01, d), 1000f) : host(s, 1.5, d), gamma = host(s + 1, 0.5, c), beta = host(s + 2, 0.5, c), g = host(s + 3, 1, d);
            BatchNormState rc = BatchNormState.initial(c);
            BatchNormState rg = new BatchNormState(dev(rc.runningMean().toHost()), dev(rc.runningVar().toHost()));
            String what = "batchNorm2d" + java.util.Arrays.toString(d);
            BatchNormOut oc = cpu.batchNorm2dTrain(x, gamma, beta, rc);
            try (BatchNormOut og = gpu.batchNorm2dTrain(dev(x), dev(gamma), dev(beta), rg)) {
                check(what + ".train.y", og.y(), oc.y());
                check(what + ".saveMean", og.saveMean(), oc.saveMean());
                check(what + ".saveInvstd", og.saveInvstd(), oc.saveInvstd());
                check(what + ".runningMean", rg.runningMean(), rc.runningMean());
                check(what + ".runningVar", rg.runningVar(), rc.runningVar());
                LayerGrads bg = gpu.batchNorm2dBackward(dev(g), dev(x), dev(gamma), og.saveMean(), og.saveInvstd());
                LayerGrads bc = cpu.batchNorm2dBackward(g, x, gamma, oc.saveMean(), oc.saveInvstd());
                // dx = gamma*invstd/M * (M*g - sum(g) - xhat*sum(g*xhat)) cancels (exactly 0 when M = 2):
                // its error is measured against the size of the cancelling terms, ||g|| * max|gamma*invstd|
                float[] gam = gamma.hostFloats(), inv = oc.saveInvstd().hostFloats();
                double termScale = 0;
                for (int k = 0; k < c; k++) termScale = Math.max(termScale, Math.abs((double) gam[k] * inv[k]));
                termScale *= Math.sqrt(sumSquares(g.hostFloats()));
                double dxErr = diffNorm(bg.dInput().toFloatArray(), bc.dInput().hostFloats())
                        / Math.max(Math.sqrt(sumSquares(bc.dInput().hostFloats())), termScale);
                System.out.printf("[gpu] op=%s.backward.dInput relErr=%.3e%n", what, dxErr);
                assertTrue(dxErr <= TOL, what + ".backward.dInput (seed " + SEED + "): relErr " + dxErr);
                check(what + ".backward.dWeight", bg.dWeight(), bc.dWeight());
                check(what + ".backward.dBias", bg.dBias(), bc.dBias());
                bg.close();
            }
            try (Tensor y = gpu.batchNorm2dEval(dev(x), dev(gamma), dev(beta), rg)) {
                check(what + ".eval.y", y, cpu.batchNorm2dEval(x, gamma, beta, rc));
            }
            release();
        }
    }

    private static Tensor shifted(Tensor t, float by) {
        float[] a = t.hostFloats().clone();
        for (int k = 0; k < a.length; k++) a[k] += by;
        return Tensor.of(a, t.shape());
    }

    @Test
    void activationsMatchTheCpu() {
        for (int n : new int[] {1, 13, 207, 1_000_003}) {
            Tensor x = host(SEED + n, 2, n), g = host(SEED + n + 1, 1, n);
            Tensor dx = dev(x), dg = dev(g);
            String sfx = "[n=" + n + "]";
            try (Tensor y = gpu.relu(dx); Tensor d = gpu.reluBackward(dg, y)) {
                Tensor yc = cpu.relu(x);
                check("relu" + sfx, y, yc);
                check("reluBackward" + sfx, d, cpu.reluBackward(g, yc));
            }
            try (Tensor y = gpu.leakyRelu(dx, 0.2f); Tensor d = gpu.leakyReluBackward(dg, dx, 0.2f)) {
                check("leakyRelu" + sfx, y, cpu.leakyRelu(x, 0.2f));
                check("leakyReluBackward" + sfx, d, cpu.leakyReluBackward(g, x, 0.2f));
            }
            try (Tensor y = gpu.tanh(dx); Tensor d = gpu.tanhBackward(dg, y)) {
                Tensor yc = cpu.tanh(x);
                check("tanh" + sfx, y, yc);
                check("tanhBackward" + sfx, d, cpu.tanhBackward(g, yc));
            }
            try (Tensor y = gpu.sigmoid(dx); Tensor d = gpu.sigmoidBackward(dg, y)) {
                Tensor yc = cpu.sigmoid(x);
                check("sigmoid" + sfx, y, yc);
                check("sigmoidBackward" + sfx, d, cpu.sigmoidBackward(g, yc));
            }
            release();
        }
    }

    @Test
    void linearMatchesTheCpu() {
        int[][] cases = {{1, 1, 1}, {13, 7, 5}, {207, 64, 33}, {512, 8, 16}, {64, 784, 400}};
        for (int[] c : cases) {
            long s = SEED + 31L * c[0] + c[1];
            Tensor x = host(s, 1, c[0], c[1]), w = host(s + 1, 0.2, c[2], c[1]), b = host(s + 2, 0.5, c[2]);
            String what = "linear" + java.util.Arrays.toString(c);
            Tensor yc = cpu.linear(x, w, b);
            try (Tensor y = gpu.linear(dev(x), dev(w), dev(b))) {
                check(what + ".y", y, yc);
            }
            Tensor g = host(s + 3, 1, yc.shape());
            checkGrads(what, gpu.linearBackward(dev(g), dev(x), dev(w), true), cpu.linearBackward(g, x, w, true));
            release();
        }
    }

    @Test
    void badShapesGiveTheSameClearErrorsAsTheCpu() {
        Tensor x = host(1, 1, 2, 4, 9, 9), w = host(2, 1, 8, 3, 3, 3);
        String cpuMsg = assertThrows(IllegalArgumentException.class, () -> cpu.conv2d(x, w, null, Conv2dSpec.of(1, 0))).getMessage();
        String gpuMsg = assertThrows(IllegalArgumentException.class,
                () -> gpu.conv2d(dev(x), dev(w), null, Conv2dSpec.of(1, 0))).getMessage();
        assertEquals(cpuMsg, gpuMsg);
        assertTrue(gpuMsg.contains("[2, 4, 9, 9]") && gpuMsg.contains("[8, 3, 3, 3]"), gpuMsg);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gpu.conv2d(x, w, null, Conv2dSpec.of(1, 0)));
        assertTrue(e.getMessage().contains("upload"), e.getMessage());
        release();
    }
}
