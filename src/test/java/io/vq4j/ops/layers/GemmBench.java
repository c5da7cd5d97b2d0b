package io.vq4j.ops.layers;

import io.vq4j.ops.cpu.Gemm;

import java.util.SplittableRandom;

/**
 * Not a test: prints the CPU GEMM's throughput on this machine (run it by hand, e.g.
 * {@code ./jdk25 java -cp target/classes:target/test-classes io.vq4j.ops.layers.GemmBench}).
 * Shapes are those of a small conv VQ-VAE's layers as im2col GEMMs.
 */
public final class GemmBench {
    private GemmBench() {}

    public static void main(String[] args) {
        int[][] shapes = {
                // m, n, k, transA, transB
                {128, 512, 576, 0, 0},   // conv 64->128 3x3 on 8 samples of 8x8 (forward)
                {256, 512, 1152, 0, 0},  // conv 128->256 3x3
                {256, 1024, 256, 0, 0},
                {576, 512, 128, 1, 0},   // dcols = W^T dY
                {128, 576, 512, 0, 1},   // dW = dY cols^T
                {1024, 1024, 1024, 0, 0},
        };
        for (int round = 0; round < 2; round++) for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            boolean ta = s[3] != 0, tb = s[4] != 0;
            float[] a = random(1, m * k), b = random(2, k * n), c = new float[m * n];
            int lda = ta ? m : k, ldb = tb ? k : n;
            double flop = 2.0 * m * n * k;
            for (boolean par : new boolean[] {false, true}) {
                long best = Long.MAX_VALUE;
                long until = System.nanoTime() + 1_500_000_000L;
                while (System.nanoTime() < until) {
                    long t0 = System.nanoTime();
                    if (par) Gemm.sgemmParallel(ta, tb, m, n, k, a, 0, lda, b, 0, ldb, false, c, 0, n);
                    else Gemm.sgemm(ta, tb, m, n, k, a, 0, lda, b, 0, ldb, false, c, 0, n);
                    best = Math.min(best, System.nanoTime() - t0);
                }
                System.out.printf("gemm %s%s m=%d n=%d k=%d %s: %.1f GFLOP/s%n", ta ? "T" : "N", tb ? "T" : "N",
                        m, n, k, par ? "parallel" : "1 thread", flop / best);
            }
        }
    }

    private static float[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }
}
