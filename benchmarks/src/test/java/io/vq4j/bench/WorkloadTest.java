package io.vq4j.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
    }
}
