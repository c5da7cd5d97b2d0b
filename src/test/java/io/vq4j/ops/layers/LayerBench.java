package io.vq4j.ops.layers;

import io.vq4j.ops.Conv2dSpec;
import io.vq4j.ops.CpuLayerOps;
import io.vq4j.ops.LayerGrads;
import io.vq4j.ops.LayerOps;
import io.vq4j.ops.Tensor;
import io.vq4j.ops.cpu.Gemm;

import java.util.SplittableRandom;

/**
 * Not a test: prints the CPU GEMM's throughput and the time of one training step (forward and
 * backward of every conv) of a small conv VQ-VAE on this machine. Run it by hand after
 * {@code ./jdk25 mvn -q -B test-compile}:
 * <pre>
 *   ./jdk25 java -cp target/classes:target/test-classes io.vq4j.ops.layers.LayerBench [batch]
 * </pre>
 */
public final class LayerBench {
    private LayerBench() {}

    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        System.out.println("threads: " + (java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() + 1));
        gemm();
        vqvaeStep(batch);
    }

    /** GEMM shapes of the VQ-VAE's convs as im2col products. */
    static void gemm() {
        int[][] shapes = {
                // m, n, k, transA, transB
                {128, 512, 1024, 0, 0},  // conv 64->128 4x4 on 8 images of 8x8 (forward)
                {256, 512, 1152, 0, 0},  // conv 128->256 3x3
                {1152, 512, 256, 1, 0},  // dcols = W^T dY
                {256, 1152, 512, 0, 1},  // dW = dY cols^T
                {1024, 1024, 1024, 0, 0},
        };
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            boolean ta = s[3] != 0, tb = s[4] != 0;
            float[] a = random(1, m * k), b = random(2, k * n), c = new float[m * n];
            int lda = ta ? m : k, ldb = tb ? k : n;
            for (boolean par : new boolean[] {false, true}) {
                double best = bestSeconds(1.5, () -> {
                    if (par) Gemm.sgemmParallel(ta, tb, m, n, k, a, 0, lda, b, 0, ldb, false, c, 0, n);
                    else Gemm.sgemm(ta, tb, m, n, k, a, 0, lda, b, 0, ldb, false, c, 0, n);
                });
                System.out.printf("gemm %s%s m=%d n=%d k=%d %s: %.1f GFLOP/s%n", ta ? "T" : "N", tb ? "T" : "N",
                        m, n, k, par ? "all threads" : "1 thread", 2.0 * m * n * k / best / 1e9);
            }
        }
    }

    /**
     * Encoder 3x32x32 -> 64x16x16 -> 128x8x8 -> 256x8x8 and decoder back (4x4 stride-2 convs, 3x3
     * stride-1 convs, transposed 4x4 stride-2 upsamplers): forward and backward of each.
     */
    static void vqvaeStep(int batch) {
        LayerOps ops = new CpuLayerOps();
        record Layer(boolean transposed, int in, int out, int k, int stride, int pad, int size) {}
        Layer[] layers = {
                new Layer(false, 3, 64, 4, 2, 1, 32), new Layer(false, 64, 128, 4, 2, 1, 16),
                new Layer(false, 128, 256, 3, 1, 1, 8),
                new Layer(true, 256, 128, 4, 2, 1, 8), new Layer(true, 128, 64, 4, 2, 1, 16),
                new Layer(false, 64, 3, 3, 1, 1, 32)};
        double total = 0, flops = 0;
        for (Layer l : layers) {
            Tensor x = Tensor.of(random(3, batch * l.in * l.size * l.size), batch, l.in, l.size, l.size);
            Tensor w = l.transposed ? Tensor.of(random(4, l.in * l.out * l.k * l.k), l.in, l.out, l.k, l.k)
                    : Tensor.of(random(4, l.out * l.in * l.k * l.k), l.out, l.in, l.k, l.k);
            Tensor b = Tensor.of(random(5, l.out), l.out);
            Conv2dSpec spec = l.transposed ? Conv2dSpec.transposed(l.stride, l.pad, 0) : Conv2dSpec.of(l.stride, l.pad);
            Tensor y = l.transposed ? ops.convTranspose2d(x, w, b, spec) : ops.conv2d(x, w, b, spec);
            Tensor g = Tensor.of(random(6, (int) y.numel()), y.shape());
            double fwd = bestSeconds(2, () -> (l.transposed ? ops.convTranspose2d(x, w, b, spec) : ops.conv2d(x, w, b, spec)).close());
            double bwd = bestSeconds(2, () -> {
                try (LayerGrads d = l.transposed ? ops.convTranspose2dBackward(g, x, w, true, spec)
                        : ops.conv2dBackward(g, x, w, true, spec)) {
                    d.dInput();
                }
            });
            // multiply-adds of the forward: one per (output pixel of the conv side, kernel tap, channel pair)
            int small = l.transposed ? l.size : y.dim(2);
            double layerFlops = 2.0 * batch * small * small * l.in * l.out * l.k * l.k;
            System.out.printf("%s %d->%d %dx%d s%d on %dx%d: forward %.1f ms (%.1f GFLOP/s), backward %.1f ms (%.1f GFLOP/s)%n",
                    l.transposed ? "convT" : "conv ", l.in, l.out, l.k, l.k, l.stride, l.size, l.size,
                    fwd * 1e3, layerFlops / fwd / 1e9, bwd * 1e3, 2 * layerFlops / bwd / 1e9);
            total += fwd + bwd;
            flops += 3 * layerFlops;
        }
        System.out.printf("VQ-VAE conv step, batch %d: %.0f ms (%.1f GFLOP/s, %.0f images/s)%n",
                batch, total * 1e3, flops / total / 1e9, batch / total);
    }

    static double bestSeconds(double budget, Runnable r) {
        long best = Long.MAX_VALUE, until = System.nanoTime() + (long) (budget * 1e9);
        do {
            long t0 = System.nanoTime();
            r.run();
            best = Math.min(best, System.nanoTime() - t0);
        } while (System.nanoTime() < until);
        return best / 1e9;
    }

    private static float[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }
}
