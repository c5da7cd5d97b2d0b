package io.vq4j.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The napkin math must be bench_ops.py's, byte for byte, and the shape strings its spelling
 * (report.py joins the two JSONs on them). Expected values computed with bench_ops.py's formulas.
 */
class WorkloadTest {
    @Test
    void formulasAndNamesAreBenchOpsPys() {
        Workload w = Workload.nearestQuantize(524288, 64, 256);
        assertEquals("nearest+quantize", w.op());
        assertEquals("N=524288 D=64 K=256", w.shape());
        assertEquals(270598144L, w.bytes());
        assertEquals(2.0 * 524288 * 64 * 256, w.flops());
        assertEquals(671350784L, Workload.quantizerFwdBwd(524288, 64, 512).bytes());
        assertEquals("quantizer fwd+bwd", Workload.quantizerFwdBwd(524288, 64, 512).op());
        assertEquals("n=67108864", Workload.reparameterize(64 << 20).shape());
        assertEquals(12L * 131072, Workload.reparameterize(131072).bytes());
        assertEquals(8L * (64 << 20), Workload.kl(64 << 20).bytes());
        assertEquals("reparam+kl fwd+bwd", Workload.reparamKlFwdBwd(8).op());
        assertEquals(24L * 8, Workload.reparamKlFwdBwd(8).bytes());
        assertEquals("reparam+kl fwd+bwd fused", Workload.reparamKlFwdBwdFused(8).op());
        assertEquals(Workload.reparamKlFwdBwd(8).bytes(), Workload.reparamKlFwdBwdFused(8).bytes());
    }

    @Test
    void rotationsAreBenchOpsPys() {
        assertEquals(2, Workload.rotations(270598144L));
        assertEquals(8, Workload.rotations(2367488L));
        assertEquals(8, Workload.rotations(12L * 131072));
        assertEquals(8, Workload.rotations(0));
        assertEquals(3, Workload.rotations(50L << 20)); // 2*L2 / L2 + 1
    }

    @Test
    void floorIsTheSlowerOfCopyAndGemm() {
        Floors f = new Floors(2e12, 50e12, 400e12);
        assertEquals(1.0, new Workload("x", "s", 2_000_000_000L, 0).floorMs(f), 1e-12);
        assertEquals(2.0, new Workload("x", "s", 1, 100e9).floorMs(f), 1e-12);
        Floors noGemm = new Floors(2e12, Double.NaN, Double.NaN); // cuBLAS missing: the copy alone
        assertEquals(1.0, new Workload("x", "s", 2_000_000_000L, 100e9).floorMs(noGemm), 1e-12);
        assertEquals(0.25, new Workload("x", "s", 1, 100e9, true).floorMs(f), 1e-12); // TF32 rate
    }

    @Test
    void tensorCoreSearchesAreFlooredAtTheTf32Rate() {
        assertTrue(Workload.nearestQuantize(524288, 64, 256).tensorCores());
        assertFalse(Workload.nearestQuantize(65536, 4, 512).tensorCores()); // the small-D FP32 kernel
        assertTrue(Workload.quantizerFwdBwd(524288, 64, 512).tensorCores());
        assertFalse(Workload.reparameterize(1).tensorCores());
    }

    @Test
    void trainStepNamesPairWithBenchTrainStepPy() {
        Workload vae = Workload.trainStep(true, 8, 3, 512);
        assertEquals("train step", vae.op());
        assertEquals("ConvVAE 8x3x512x512 AdamW", vae.shape());
        assertEquals("ConvVQVAE 16x3x256x256 AdamW", Workload.trainStep(false, 16, 3, 256).shape());
        // the VAE's convolutions by hand: encoder 3->64 @256^2, 64->128 @128^2, 128->256 @64^2; two 1x1
        // heads 256->4 @64^2; decoder 1x1 4->256 @64^2; transposed 256->128, 128->64, 64->3 over their inputs
        double macs = 8.0 * (0.0 + 256 * 256 * 3 * 64 * 9 + 128 * 128 * 64 * 128 * 9 + 64 * 64 * 128 * 256 * 9
                + 2 * 64 * 64 * 256 * 4 + 64 * 64 * 4 * 256
                + 64 * 64 * 256 * 128 * 9 + 128 * 128 * 128 * 64 * 9 + 256 * 256 * 64 * 3 * 9);
        assertEquals(6 * macs, vae.flops(), 1e-6 * macs);
        assertEquals(0, vae.bytes());
        // the VQ-VAE adds the distance GEMM: N = 16 * 32 * 32 vectors, D = 64, K = 512
        Workload vq = Workload.trainStep(false, 16, 3, 256);
        double vqMacs = 16.0 * (0.0 + 128 * 128 * 3 * 64 * 9 + 64 * 64 * 64 * 128 * 9 + 32 * 32 * 128 * 256 * 9
                + 32 * 32 * 256 * 64 + 32 * 32 * 64 * 256
                + 32 * 32 * 256 * 128 * 9 + 64 * 64 * 128 * 64 * 9 + 128 * 128 * 64 * 3 * 9);
        assertEquals(6 * vqMacs + 2.0 * 16 * 32 * 32 * 64 * 512, vq.flops(), 1e-6 * vqMacs);
    }
}
