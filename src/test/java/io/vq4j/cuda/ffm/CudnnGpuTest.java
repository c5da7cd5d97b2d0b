package io.vq4j.cuda.ffm;

import io.vq4j.GpuTest;
import io.vq4j.TestData;
import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.CudaStream;
import io.vq4j.cuda.DeviceBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * cuDNN through FFM on JCuda device memory: convolution forward and its three gradients,
 * tensor add, spatial batch norm (training, inference, backward) against the double references
 * of {@link DnnReference}; handle and descriptor lifecycle without leaks; the algorithm cache
 * and workspace reuse; a bad status as an exception. Outputs are poisoned first; convolutions
 * run in FMA math (full FP32, no TF32).
 */
class CudnnGpuTest extends GpuTest {
    private static final double TOL_SPEC = 1e-5;  // the small stride-2 case: GEMM-like algorithms only
    private static final double TOL = 1e-4;       // FFT / Winograd algorithms (if fastest) lose a little more in FP32
    private static final long SEED = System.nanoTime();

    /** {N, C, H, W, K, R, S, pad, stride, dilation}; the first is the spec's case. */
    private static final int[][] CONV_CASES = {
            {2, 3, 9, 9, 4, 3, 3, 1, 2, 1},
            {1, 1, 1, 1, 1, 1, 1, 0, 1, 1},
            {3, 5, 13, 7, 6, 3, 3, 1, 1, 1},
            {1, 2, 13, 13, 2, 3, 3, 0, 1, 2},
            {2, 8, 32, 32, 16, 4, 4, 1, 2, 1},
            {4, 64, 16, 16, 64, 3, 3, 1, 1, 1},
            {13, 3, 5, 5, 1, 5, 5, 2, 1, 1},
    };

    private static CudaStream stream;

    @BeforeAll
    static void setUp() {
        assumeTrue(Cudnn.isAvailable(), () -> "cuDNN not available: " + Cudnn.unavailableReason());
        stream = Cuda.runtime().context().newStream();
    }

    @AfterAll
    static void tearDown() {
        if (stream != null) stream.close();
    }

    private record Conv(Dims4 x, Dims4 w, ConvolutionDescriptor.Params p) {
        static Conv of(int[] c) {
            return new Conv(new Dims4(c[0], c[1], c[2], c[3]), new Dims4(c[4], c[1], c[5], c[6]),
                    new ConvolutionDescriptor.Params(c[7], c[7], c[8], c[8], c[9], c[9], CudnnMathType.FMA));
        }

        Dims4 y() { return p.output(x, w); }

        ConvolutionDescriptor descriptor() {
            return new ConvolutionDescriptor(p.padH(), p.padW(), p.strideH(), p.strideW(), p.dilationH(), p.dilationW(), p.mathType());
        }

        @Override
        public String toString() {
            return "x=" + x + ",w=" + w + ",pad=" + p.padH() + ",stride=" + p.strideH() + ",dil=" + p.dilationH();
        }
    }

    private static TensorDescriptor tensor(Dims4 d) { return TensorDescriptor.nchw(d.n(), d.c(), d.h(), d.w()); }

    private static FilterDescriptor filter(Dims4 d) { return FilterDescriptor.kcrs(d.n(), d.c(), d.h(), d.w()); }

    private static double[] plus(double[] a, float[] b) {
        double[] r = a.clone();
        for (int i = 0; i < r.length; i++) r[i] += b[i];
        return r;
    }

    private static double[] scaled(double[] a, double s) {
        double[] r = a.clone();
        for (int i = 0; i < r.length; i++) r[i] *= s;
        return r;
    }

    @Test
    void version() {
        String v = Cudnn.versionString();
        System.out.println("[gpu] cuDNN " + v + " (" + Cudnn.version() + ") from " + Cudnn.location());
        assertTrue(v.matches("9\\.\\d+\\.\\d+"), v);
    }

    @Test
    void convolutionForwardSpecCaseMatchesANaiveDoubleConvolution() {
        Conv c = Conv.of(CONV_CASES[0]);
        long seed = SEED;
        float[] x = TestData.gaussian(seed, (int) c.x().elements(), 1), w = TestData.gaussian(seed + 1, (int) c.w().elements(), 1);
        try (CudnnHandle h = new CudnnHandle(stream); TensorDescriptor xd = tensor(c.x()); FilterDescriptor wd = filter(c.w());
             ConvolutionDescriptor cd = c.descriptor()) {
            Dims4 yDims = cd.outputDims(xd, wd);
            assertEquals(new Dims4(2, 4, 5, 5), yDims);
            assertEquals(c.y(), yDims);
            try (TensorDescriptor yd = tensor(yDims); DeviceBuffer dx = Dev.upload(stream, x); DeviceBuffer dw = Dev.upload(stream, w);
                 DeviceBuffer dy = Dev.poisoned(stream, (int) yDims.elements())) {
                h.convolutionForward(1f, xd, dx.address(), wd, dw.address(), cd, 0f, yd, dy.address());
                double[] ref = DnnReference.convForward(DnnReference.toDouble(x), c.x(), DnnReference.toDouble(w), c.w(), c.p());
                float[] got = Dev.download(dy);
                double err = TestData.relError(got, ref);
                System.out.printf("[gpu] op=cudnn.convForward shape=%s relErr=%.3e%n", c, err);
                assertEquals(0, Dev.poisonLeft(got), "seed=" + seed);
                assertTrue(err <= TOL_SPEC, "seed=" + seed + " relErr=" + err);
            }
        }
    }

    /** Forward, backward data, backward filter and bias gradient for every case, overwriting (beta = 0) or accumulating. */
    private static void convSweep(boolean accumulate) {
        String tag = accumulate ? ".accumulate" : "";
        for (int ci = 0; ci < CONV_CASES.length; ci++) {
            Conv c = Conv.of(CONV_CASES[ci]);
            Dims4 yDims = c.y();
            long seed = SEED + 100L * ci + (accumulate ? 50 : 0);
            float[] x = TestData.gaussian(seed, (int) c.x().elements(), 1);
            float[] w = TestData.gaussian(seed + 1, (int) c.w().elements(), 1);
            float[] gy = TestData.gaussian(seed + 2, (int) yDims.elements(), 1);
            float[] y0 = TestData.gaussian(seed + 3, (int) yDims.elements(), 1);
            float[] dx0 = TestData.gaussian(seed + 4, (int) c.x().elements(), 1);
            float[] dw0 = TestData.gaussian(seed + 5, (int) c.w().elements(), 1);
            float alpha = accumulate ? 0.5f : 1f, beta = accumulate ? 1f : 0f;
            double[] xd64 = DnnReference.toDouble(x), wd64 = DnnReference.toDouble(w), gy64 = DnnReference.toDouble(gy);
            double[] refY = scaled(DnnReference.convForward(xd64, c.x(), wd64, c.w(), c.p()), alpha);
            double[] refDx = scaled(DnnReference.convBackwardData(gy64, wd64, c.x(), c.w(), c.p()), alpha);
            double[] refDw = scaled(DnnReference.convBackwardFilter(xd64, gy64, c.x(), c.w(), c.p()), alpha);
            if (accumulate) {
                refY = plus(refY, y0);
                refDx = plus(refDx, dx0);
                refDw = plus(refDw, dw0);
            }
            // a fresh handle per case: with accumulate, the first (searching) call of each direction has beta != 0
            try (CudnnHandle h = new CudnnHandle(stream); TensorDescriptor xd = tensor(c.x()); FilterDescriptor wd = filter(c.w());
                 ConvolutionDescriptor cd = c.descriptor(); TensorDescriptor yd = tensor(yDims);
                 DeviceBuffer bx = Dev.upload(stream, x); DeviceBuffer bw = Dev.upload(stream, w); DeviceBuffer bgy = Dev.upload(stream, gy);
                 DeviceBuffer by = accumulate ? Dev.upload(stream, y0) : Dev.poisoned(stream, y0.length);
                 DeviceBuffer bdx = accumulate ? Dev.upload(stream, dx0) : Dev.poisoned(stream, dx0.length);
                 DeviceBuffer bdw = accumulate ? Dev.upload(stream, dw0) : Dev.poisoned(stream, dw0.length)) {
                h.convolutionForward(alpha, xd, bx.address(), wd, bw.address(), cd, beta, yd, by.address());
                h.convolutionBackwardData(alpha, wd, bw.address(), yd, bgy.address(), cd, beta, xd, bdx.address());
                h.convolutionBackwardFilter(alpha, xd, bx.address(), yd, bgy.address(), cd, beta, wd, bdw.address());
                String[] names = {"convForward", "convBackwardData", "convBackwardFilter"};
                DeviceBuffer[] outs = {by, bdx, bdw};
                double[][] refs = {refY, refDx, refDw};
                for (int i = 0; i < 3; i++) {
                    double err = TestData.relError(Dev.download(outs[i]), refs[i]);
                    System.out.printf("[gpu] op=cudnn.%s%s shape=%s relErr=%.3e%n", names[i], tag, c, err);
                    assertTrue(err <= TOL, "seed=" + seed + " " + names[i] + tag + " " + c + " relErr=" + err);
                }
                assertEquals(3, h.searchedAlgorithms());
            }
        }
    }

    @Test
    void convolutionPassesMatchTheDoubleReferences() {
        convSweep(false);
    }

    @Test
    void convolutionPassesAccumulateWithBeta() {
        convSweep(true);
    }

    @Test
    void addTensorBroadcastsABiasAndBlendsSameShapes() {
        long seed = SEED + 7000;
        Dims4 cDims = new Dims4(2, 4, 5, 5);
        float[] c0 = TestData.gaussian(seed, (int) cDims.elements(), 1), bias = TestData.gaussian(seed + 1, 4, 1);
        float[] a = TestData.gaussian(seed + 2, (int) cDims.elements(), 1);
        double[] refBias = new double[c0.length], refSame = new double[c0.length];
        for (int i = 0; i < c0.length; i++) {
            int ch = (i / 25) % 4;
            refBias[i] = c0[i] + (double) bias[ch];
            refSame[i] = 2.0 * a[i] + 0.5 * c0[i];
        }
        try (CudnnHandle h = new CudnnHandle(stream); TensorDescriptor cd = tensor(cDims); TensorDescriptor bd = TensorDescriptor.nchw(1, 4, 1, 1);
             DeviceBuffer bc = Dev.upload(stream, c0); DeviceBuffer bb = Dev.upload(stream, bias);
             DeviceBuffer bc2 = Dev.upload(stream, c0); DeviceBuffer ba = Dev.upload(stream, a)) {
            h.addTensor(1f, bd, bb.address(), 1f, cd, bc.address());
            h.addTensor(2f, cd, ba.address(), 0.5f, cd, bc2.address());
            double e1 = TestData.relError(Dev.download(bc), refBias), e2 = TestData.relError(Dev.download(bc2), refSame);
            System.out.printf("[gpu] op=cudnn.addTensor shape=bias1x4x1x1->%s relErr=%.3e%n", cDims, e1);
            System.out.printf("[gpu] op=cudnn.addTensor shape=same%s relErr=%.3e%n", cDims, e2);
            assertTrue(e1 <= TOL_SPEC && e2 <= TOL_SPEC, "seed=" + seed + " " + e1 + " " + e2);
            assertThrows(IllegalArgumentException.class, () -> h.addTensor(1f, cd, ba.address(), 1f, bd, bb.address()));
        }
    }

    @Test
    void algorithmsAreSearchedOncePerKeyAndTheWorkspaceIsReused() {
        Conv c = Conv.of(CONV_CASES[5]);
        Conv other = Conv.of(CONV_CASES[2]);
        long live0 = DeviceBuffer.liveBytes();
        try (CudnnHandle h = new CudnnHandle(stream); TensorDescriptor xd = tensor(c.x()); FilterDescriptor wd = filter(c.w());
             ConvolutionDescriptor cd = c.descriptor(); TensorDescriptor yd = tensor(c.y());
             TensorDescriptor xo = tensor(other.x()); FilterDescriptor wo = filter(other.w());
             ConvolutionDescriptor co = other.descriptor(); TensorDescriptor yo = tensor(other.y());
             DeviceBuffer bx = Dev.upload(stream, TestData.gaussian(SEED, (int) c.x().elements(), 1));
             DeviceBuffer bw = Dev.upload(stream, TestData.gaussian(SEED + 1, (int) c.w().elements(), 1));
             DeviceBuffer by = new DeviceBuffer(stream, 4 * c.y().elements());
             DeviceBuffer bxo = Dev.upload(stream, TestData.gaussian(SEED, (int) other.x().elements(), 1));
             DeviceBuffer bwo = Dev.upload(stream, TestData.gaussian(SEED + 1, (int) other.w().elements(), 1));
             DeviceBuffer byo = new DeviceBuffer(stream, 4 * other.y().elements())) {
            long t0 = System.nanoTime();
            h.convolutionForward(1f, xd, bx.address(), wd, bw.address(), cd, 0f, yd, by.address());
            long first = System.nanoTime() - t0;
            long ws = h.workspaceBytes();
            assertEquals(1, h.searchedAlgorithms());
            t0 = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                h.convolutionForward(1f, xd, bx.address(), wd, bw.address(), cd, 0f, yd, by.address());
                assertEquals(ws, h.workspaceBytes(), "the workspace is reused, not reallocated");
            }
            stream.synchronize();
            long repeat = (System.nanoTime() - t0) / 20;
            assertEquals(1, h.searchedAlgorithms());
            h.convolutionBackwardData(1f, wd, bw.address(), yd, by.address(), cd, 0f, xd, bx.address());
            assertEquals(2, h.searchedAlgorithms());
            h.convolutionForward(1f, xo, bxo.address(), wo, bwo.address(), co, 0f, yo, byo.address());
            assertEquals(3, h.searchedAlgorithms());
            assertTrue(h.workspaceBytes() >= ws);
            System.out.printf("[gpu] op=cudnn.algorithmCache firstCallMs=%.2f repeatCallMs=%.3f workspaceBytes=%d%n",
                    first / 1e6, repeat / 1e6, h.workspaceBytes());
        }
        assertEquals(live0, DeviceBuffer.liveBytes(), "workspace and search buffers are all freed");
    }

    /**
     * The inference binding, the one batch-norm call vq4j makes through cuDNN (training runs in
     * cuda/batch_norm.cu, tested against the CPU twin in CudaLayerOpsGpuTest).
     */
    @Test
    void batchNormInferenceMatchesTheDoubleReference() {
        Dims4[] shapes = {new Dims4(3, 5, 7, 4), new Dims4(1, 1, 1, 2), new Dims4(2, 64, 8, 8), new Dims4(13, 3, 1, 1)};
        double eps = 1e-5;
        for (int si = 0; si < shapes.length; si++) {
            Dims4 d = shapes[si];
            int n = (int) d.elements(), ch = d.c();
            long seed = SEED + 8000 + 10L * si;
            float[] x = TestData.gaussian(seed, n, 1.5);
            for (int i = 0; i < n; i++) x[i] += 0.5f; // a mean away from zero, as real activations have
            float[] scale = TestData.uniform(seed + 1, ch, 0.5, 1.5), bias = TestData.gaussian(seed + 2, ch, 0.1);
            float[] rm = TestData.gaussian(seed + 3, ch, 0.1), rv = TestData.uniform(seed + 4, ch, 0.5, 2);
            double[] ref = DnnReference.batchNorm(DnnReference.toDouble(x), d, DnnReference.toDouble(scale),
                    DnnReference.toDouble(bias), DnnReference.toDouble(rm), DnnReference.toDouble(rv), eps);
            try (CudnnHandle h = new CudnnHandle(stream); TensorDescriptor xd = tensor(d); TensorDescriptor bn = TensorDescriptor.batchNormParams(xd);
                 DeviceBuffer bx = Dev.upload(stream, x); DeviceBuffer by = Dev.poisoned(stream, n);
                 DeviceBuffer bScale = Dev.upload(stream, scale); DeviceBuffer bBias = Dev.upload(stream, bias);
                 DeviceBuffer bRm = Dev.upload(stream, rm); DeviceBuffer bRv = Dev.upload(stream, rv)) {
                assertEquals(new Dims4(1, ch, 1, 1), bn.dims());
                h.batchNormForwardInference(1f, 0f, xd, bx.address(), xd, by.address(), bn, bScale.address(), bBias.address(),
                        bRm.address(), bRv.address(), eps);
                double err = TestData.relError(Dev.download(by), ref);
                System.out.printf("[gpu] op=cudnn.bnInference.y shape=%s relErr=%.3e%n", d, err);
                assertTrue(err <= TOL, "seed=" + seed + " bnInference.y " + d + " relErr=" + err);
            }
        }
    }

    @Test
    void handlesAndDescriptorsLifecycleDoesNotLeak() {
        Conv c = Conv.of(CONV_CASES[0]);
        try (DeviceBuffer bx = Dev.upload(stream, TestData.gaussian(SEED, (int) c.x().elements(), 1));
             DeviceBuffer bw = Dev.upload(stream, TestData.gaussian(SEED + 1, (int) c.w().elements(), 1));
             DeviceBuffer by = new DeviceBuffer(stream, 4 * c.y().elements())) {
            Runnable iteration = new Runnable() {
                int i;

                @Override
                public void run() {
                    try (CudnnHandle h = new CudnnHandle(stream); TensorDescriptor xd = tensor(c.x()); FilterDescriptor wd = filter(c.w());
                         ConvolutionDescriptor cd = c.descriptor(); TensorDescriptor yd = tensor(c.y());
                         TensorDescriptor bn = TensorDescriptor.batchNormParams(xd)) {
                        assertEquals(new Dims4(1, c.x().c(), 1, 1), bn.dims());
                        if (i++ % 100 == 0) { // now and then a real call: algorithm search, workspace, scratch buffers
                            h.convolutionForward(1f, xd, bx.address(), wd, bw.address(), cd, 0f, yd, by.address());
                        }
                    }
                }
            };
            for (int i = 0; i < 3; i++) iteration.run(); // warm-up: cuDNN's one-time lazy state
            stream.synchronize();
            long live0 = DeviceBuffer.liveBytes();
            long free0 = stream.context().memoryInfo()[0];
            long t0 = System.nanoTime();
            for (int i = 0; i < 1000; i++) iteration.run();
            stream.synchronize();
            long free1 = stream.context().memoryInfo()[0];
            System.out.printf("[gpu] op=cudnnLifecycle n=1000 ms=%.1f freeDeltaMiB=%.1f%n",
                    (System.nanoTime() - t0) / 1e6, (free0 - free1) / 1048576.0);
            assertEquals(live0, DeviceBuffer.liveBytes());
            assertTrue(free0 - free1 < 128L << 20, "device memory dropped by " + (free0 - free1) + " bytes over 1000 handles");
        }

        CudnnHandle h = new CudnnHandle(stream);
        TensorDescriptor t = TensorDescriptor.nchw(1, 1, 1, 1);
        h.close();
        t.close();
        assertDoesNotThrow(h::close);
        assertDoesNotThrow(t::close);
        assertThrows(IllegalStateException.class, () -> h.addTensor(1f, t, 8, 0f, t, 8));
        assertThrows(IllegalStateException.class, t::segment);
    }

    @Test
    void aBadStatusBecomesAnExceptionNamingTheFunctionAndCudnnsString() {
        NativeLibraryException e = assertThrows(NativeLibraryException.class, () -> TensorDescriptor.nchwUnchecked(-1, 3, 9, 9));
        System.out.println("[gpu] op=cudnnBadStatus message=" + e.getMessage());
        assertEquals("cuDNN", e.library());
        assertEquals("cudnnSetTensor4dDescriptor", e.function());
        assertTrue(e.errorString() != null && e.errorString().startsWith("CUDNN_STATUS_BAD_PARAM"), e.getMessage());
        assertEquals(2, e.code() / 1000, "a BAD_PARAM category code: " + e.code());
        assertTrue(e.getMessage().contains("-1x3x9x9") && e.getMessage().contains("cuDNN status " + e.code()), e.getMessage());
        // a mismatched output descriptor is caught before cuDNN, naming the shapes
        Conv c = Conv.of(CONV_CASES[0]);
        try (CudnnHandle h = new CudnnHandle(stream); TensorDescriptor xd = tensor(c.x()); FilterDescriptor wd = filter(c.w());
             ConvolutionDescriptor cd = c.descriptor(); TensorDescriptor wrong = TensorDescriptor.nchw(2, 4, 9, 9)) {
            IllegalArgumentException iae = assertThrows(IllegalArgumentException.class,
                    () -> h.convolutionForward(1f, xd, 8, wd, 8, cd, 0f, wrong, 8));
            assertTrue(iae.getMessage().contains("2x4x5x5") && iae.getMessage().contains("2x4x9x9"), iae.getMessage());
        }
    }
}
