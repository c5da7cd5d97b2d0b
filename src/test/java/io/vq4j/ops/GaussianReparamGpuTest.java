package io.vq4j.ops;

import io.vq4j.TestData;
import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.kernels.GaussianKernels;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * gaussian_reparam_forward_f32 / gaussian_reparam_backward_f32 against the CPU twin. Beyond the
 * eps difference of {@link GaussianNormalGpuTest} (2e-6 relative + 2e-6), the GPU's expf (2 ulp)
 * and fp32 products add a few 1e-7 relative; the tolerances below are those bounds, doubled.
 */
class GaussianReparamGpuTest extends GaussianCommonGpuTest {

    private static float[] mu(long seed, int n) { return TestData.gaussian(seed, n, 2); }

    private static float[] logvar(long seed, int n) { return TestData.uniform(seed, n, -4, 3); }

    private void forward(int n, long seed, long offset, boolean storeEps) {
        float[] mu = mu(seed, n), lv = logvar(seed + 1, n);
        Reparameterized ref = cpu.reparameterize(Tensor.of(mu, n), Tensor.of(lv, n), seed, offset, true);
        float[] cz = ref.z().toFloatArray(), ce = ref.eps().toFloatArray();
        float[] gz, ge = null;
        try (Tensor m = up(mu, n); Tensor l = up(lv, n)) {
            poisonPool(2L * n + 64);
            try (Reparameterized r = gpu.reparameterize(m, l, seed, offset, storeEps)) {
                assertArrayEquals(new int[] {n}, r.z().shape());
                gz = r.z().toFloatArray();
                if (storeEps) ge = r.eps().toFloatArray();
                else assertNull(r.eps());
            }
        }
        Errors ez = new Errors(), ee = new Errors();
        for (int i = 0; i < n; i++) {
            double std = Math.exp(0.5 * lv[i]);
            double tolEps = GaussianNormalGpuTest.RTOL * Math.abs(ce[i]) + GaussianNormalGpuTest.ATOL;
            ez.add(i, gz[i], cz[i], 2 * (std * (tolEps + 3e-7 * Math.abs(ce[i])) + 2e-7 * (Math.abs(mu[i]) + Math.abs(cz[i]))));
            if (ge != null) ee.add(i, ge[i], ce[i], tolEps);
        }
        String what = "n=" + n + " seed=" + seed + " offset=" + offset + " storeEps=" + storeEps;
        System.out.printf("[gpu] op=reparameterize n=%d offset=%d storeEps=%b z: %s%n", n, offset, storeEps, ez);
        assertTrue(ez.ok(), "z, " + what + ": " + ez);
        if (ge != null) {
            System.out.printf("[gpu] op=reparameterize(eps) n=%d offset=%d %s%n", n, offset, ee);
            assertTrue(ee.ok(), "eps, " + what + ": " + ee);
        }
    }

    private void backward(int n, long seed, long offset, boolean storedEps) {
        float[] g = TestData.gaussian(seed, n, 1), lv = logvar(seed + 1, n);
        float[] eps = storedEps ? TestData.gaussian(seed + 2, n, 1) : null;
        GaussianGrads ref = storedEps ? cpu.reparameterizeBackward(Tensor.of(g, n), Tensor.of(lv, n), Tensor.of(eps, n))
                : cpu.reparameterizeBackward(Tensor.of(g, n), Tensor.of(lv, n), seed, offset);
        float[] ce = storedEps ? eps : cpu.standardNormal(seed, offset, n).toFloatArray();
        float[] cl = ref.dLogvar().toFloatArray();
        float[] gm, gl;
        try (Tensor tg = up(g, n); Tensor tl = up(lv, n); Tensor te = storedEps ? up(eps, n) : null) {
            poisonPool(2L * n + 64);
            try (GaussianGrads r = storedEps ? gpu.reparameterizeBackward(tg, tl, te) : gpu.reparameterizeBackward(tg, tl, seed, offset)) {
                gm = r.dMu().toFloatArray();
                gl = r.dLogvar().toFloatArray();
            }
        }
        String what = "n=" + n + " seed=" + seed + " offset=" + offset + (storedEps ? " stored eps" : " regenerated eps");
        for (int i = 0; i < n; i++) {
            if (Float.floatToRawIntBits(gm[i]) != Float.floatToRawIntBits(g[i])) {
                throw new AssertionError("dMu[" + i + "] = " + bitsOf(gm[i]) + " but gradZ = " + g[i] + ", " + what);
            }
        }
        Errors e = new Errors();
        for (int i = 0; i < n; i++) {
            double scale = Math.abs(g[i]) * 0.5 * Math.exp(0.5 * lv[i]);
            double tolEps = storedEps ? 0 : GaussianNormalGpuTest.RTOL * Math.abs(ce[i]) + GaussianNormalGpuTest.ATOL;
            e.add(i, gl[i], cl[i], 2 * (scale * tolEps + 6e-7 * Math.abs(cl[i])) + 1e-30);
        }
        System.out.printf("[gpu] op=reparameterizeBackward(%s) n=%d offset=%d dLogvar: %s%n",
                storedEps ? "stored eps" : "regenerated eps", n, offset, e);
        assertTrue(e.ok(), "dLogvar, " + what + ": " + e);
    }

    @Test
    void forwardMatchesCpuTwin() {
        int c = 0;
        for (int n : SIZES) {
            for (long offset : OFFSETS) {
                forward(n, runSeed + c, offset, c % 2 == 0);
                c++;
            }
            forward(n, runSeed + c++, 3, true);
            forward(n, runSeed + c++, 3, false);
        }
    }

    @Test
    void backwardMatchesCpuTwin() {
        int c = 0;
        for (int n : SIZES) {
            for (long offset : OFFSETS) backward(n, runSeed + 1000 + c++, offset, false);
            backward(n, runSeed + 1000 + c++, 0, true);
        }
    }

    @Test
    void largeForwardAndBackward() {
        forward(LARGE, runSeed ^ 0xABCDEF, 77, true);
        backward(LARGE, runSeed ^ 0x123456, 77, false);
    }

    /** The backward from the eps the forward stored equals the one that regenerates it. */
    @Test
    void storedAndRegeneratedEpsAgree() {
        int n = 1000003;
        long seed = runSeed + 5;
        float[] g = TestData.gaussian(seed, n, 1), lv = logvar(seed + 1, n), mu = mu(seed + 2, n);
        try (Tensor tm = up(mu, n); Tensor tl = up(lv, n); Tensor tg = up(g, n);
             Reparameterized f = gpu.reparameterize(tm, tl, seed, 3, true);
             GaussianGrads a = gpu.reparameterizeBackward(tg, tl, seed, 3);
             GaussianGrads b = gpu.reparameterizeBackward(tg, tl, f.eps())) {
            assertArrayEquals(a.dLogvar().toFloatArray(), b.dLogvar().toFloatArray(), "seed=" + seed);
        }
    }

    /** The launchers write elements [0, n) of every output and nothing past them. */
    @Test
    void writesExactlyNElements() {
        Cuda.Runtime rt = gpu.runtime();
        for (int n : new int[] {1, 3, 4, 5, 1001}) {
            long seed = runSeed + n;
            float[] mu = mu(seed, n), lv = logvar(seed + 1, n);
            try (Tensor m = up(mu, n); Tensor l = up(lv, n);
                 DeviceBuffer z = new DeviceBuffer(rt.stream(), 4L * (n + 8));
                 DeviceBuffer eps = new DeviceBuffer(rt.stream(), 4L * (n + 8));
                 DeviceBuffer dMu = new DeviceBuffer(rt.stream(), 4L * (n + 8));
                 DeviceBuffer dLv = new DeviceBuffer(rt.stream(), 4L * (n + 8))) {
                for (DeviceBuffer b : new DeviceBuffer[] {z, eps, dMu, dLv}) b.fill32(TestData.POISON_BITS);
                GaussianKernels.reparamForward(rt, new GaussianKernels.ReparamForwardParams(
                        z, eps, m.deviceBuffer(), l.deviceBuffer(), n, seed, 1));
                GaussianKernels.reparamBackward(rt, new GaussianKernels.ReparamBackwardParams(
                        dMu, dLv, m.deviceBuffer(), l.deviceBuffer(), null, n, seed, 1));
                Reparameterized ref = cpu.reparameterize(Tensor.of(mu, n), Tensor.of(lv, n), seed, 1, true);
                String[] names = {"z", "eps", "dMu", "dLogvar"};
                DeviceBuffer[] outs = {z, eps, dMu, dLv};
                for (int k = 0; k < outs.length; k++) {
                    float[] got = new float[n + 8];
                    outs[k].copyTo(got, 0, 0, n + 8);
                    for (int i = 0; i < n; i++) {
                        assertTrue(!Float.isNaN(got[i]), names[k] + "[" + i + "] not written, n=" + n);
                    }
                    for (int i = n; i < n + 8; i++) {
                        assertEquals(TestData.POISON_BITS, Float.floatToRawIntBits(got[i]),
                                names[k] + ": element " + i + " past n=" + n + " was written");
                    }
                    if (k == 1) {
                        float[] ce = ref.eps().toFloatArray();
                        for (int i = 0; i < n; i++) {
                            assertEquals(ce[i], got[i], GaussianNormalGpuTest.RTOL * Math.abs(ce[i]) + GaussianNormalGpuTest.ATOL,
                                    "eps[" + i + "] n=" + n + " seed=" + seed);
                        }
                    }
                }
            }
        }
    }
}
