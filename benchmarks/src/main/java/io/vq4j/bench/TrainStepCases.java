package io.vq4j.bench;

import io.vq4j.cuda.CudaTimer;
import io.vq4j.cuda.MemoryPool;
import io.vq4j.model.Autoencoder;
import io.vq4j.model.ConvVAE;
import io.vq4j.model.ConvVQVAE;
import io.vq4j.model.train.EpochSums;
import io.vq4j.model.train.TrainStep;
import io.vq4j.nn.Adam;
import io.vq4j.nn.Backend;
import io.vq4j.nn.LrSchedule;
import io.vq4j.ops.CudaLayerOps;
import io.vq4j.ops.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One full training step ({@link TrainStep}: forward, loss, backward, AdamW, the epoch sums) of
 * the reference conv VAE / VQ-VAE on the CUDA backend, as benchmarks/pytorch/bench_train_step.py
 * times PyTorch's: AdamW lr 1e-3 weight decay 0.01, two input batches uniform in [-1, 1] uploaded
 * once and alternated, {@link #WARMUP} warm-up steps (the first one searches cuDNN's algorithms),
 * then each of the timed steps between CUDA events with a sync after it; the median.
 *
 * <p>Check: the same model from the same seed on the CPU and on the GPU, three steps on a small
 * batch (2 x C x 32 x 32): the losses must agree (rel. 1e-3 in FP32, 2e-2 with TF32), and the
 * timed run's loss sums must stay finite. Extra JSON fields: images_per_s, peak device memory
 * over the timed steps (the pool's high-water mark, weights and optimizer state included), the
 * mean loss, tf32.
 */
final class TrainStepCases {
    private TrainStepCases() {}

    static final int WARMUP = 10;
    private static final int CHECK_BATCH = 2, CHECK_SIZE = 32, CHECK_STEPS = 3;

    static Autoencoder build(Backend b, boolean vae, int channels) {
        return vae ? new ConvVAE(b, ConvVAE.Config.defaults(channels)) : new ConvVQVAE(b, ConvVQVAE.Config.defaults(channels));
    }

    static Adam adamW(Backend b, Autoencoder m) {
        return Adam.adamW(b, m.parameters(), 0.01f, LrSchedule.constant(1e-3));
    }

    /** A batch uniform in [-1, 1]. */
    static Tensor batch(long seed, int n, int c, int s) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * c * s * s];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        return Tensor.of(x, n, c, s, s);
    }

    static Row trainStep(BenchContext ctx, Workload w, boolean vae, int batch, int channels, int size, boolean tf32) {
        try (Backend gpu = Backend.over(ctx.gpu(), new CudaLayerOps(ctx.gpu(), tf32))) {
            Check check = smallStepsAgree(gpu, vae, channels, tf32);
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("tf32", tf32);
            CudaTimer.Stats stats;
            try (Autoencoder m = build(gpu, vae, channels);
                 Tensor x0 = gpu.ops().upload(batch(1, batch, channels, size));
                 Tensor x1 = gpu.ops().upload(batch(2, batch, channels, size));
                 TrainStep step = new TrainStep(m, adamW(gpu, m))) {
                m.train(true);
                Tensor[] xs = {x0, x1};
                step.startEpoch();
                for (int i = 0; i < WARMUP; i++) step.run(xs[i % 2]);
                ctx.gpu().synchronize();
                MemoryPool pool = pool(ctx);
                if (pool != null) pool.resetHigh();
                step.startEpoch();
                stats = CudaTimer.time(ctx.gpu().runtime().stream(), 0, ctx.reps(), i -> step.run(xs[i % 2]));
                EpochSums.Snapshot s = step.read();
                if (pool != null) extra.put("peak_bytes", pool.usedHigh());
                extra.put("mean_loss", s.meanTotal());
                extra.put("images_per_s", batch / (stats.median() * 1e-3));
                if (!Double.isFinite(s.meanTotal()) || s.badStep() >= 0) {
                    check = check.and(Check.fail("the timed steps' loss is not finite (mean " + s.meanTotal()
                            + ", first bad step " + s.badStep() + ")"));
                }
            }
            double floor = 1e3 * w.flops() / (tf32 ? ctx.floors().tf32FlopsPerSecond() : ctx.floors().fp32FlopsPerSecond());
            return new Row(w, stats, floor, check, 2, extra);
        }
    }

    private static MemoryPool pool(BenchContext ctx) {
        try {
            return MemoryPool.ofDevice(ctx.gpu().runtime().context().ordinal());
        } catch (RuntimeException e) {
            return null; // no pool attributes: the row goes without peak memory
        }
    }

    /** CPU twin check: the same model and seed, {@link #CHECK_STEPS} steps on a small batch, losses compared. */
    static Check smallStepsAgree(Backend gpu, boolean vae, int channels, boolean tf32) {
        double tol = tf32 ? 2e-2 : 1e-3;
        Tensor host = batch(3, CHECK_BATCH, channels, CHECK_SIZE);
        double[] want = new double[CHECK_STEPS], got = new double[CHECK_STEPS];
        try (Backend cpu = Backend.cpu(); Autoencoder mc = build(cpu, vae, channels);
             TrainStep sc = new TrainStep(mc, adamW(cpu, mc))) {
            mc.train(true);
            for (int i = 0; i < CHECK_STEPS; i++) want[i] = sc.run(host).totalValue();
        }
        try (Autoencoder mg = build(gpu, vae, channels); Tensor x = gpu.ops().upload(host);
             TrainStep sg = new TrainStep(mg, adamW(gpu, mg))) {
            mg.train(true);
            for (int i = 0; i < CHECK_STEPS; i++) got[i] = sg.run(x).totalValue();
        }
        double worst = 0;
        for (int i = 0; i < CHECK_STEPS; i++) {
            double rel = Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), 1e-30);
            if (!(rel <= tol)) {
                return Check.fail("step " + (i + 1) + " loss " + got[i] + " vs CPU " + want[i] + " (rel " + rel
                        + " > " + tol + ")");
            }
            worst = Math.max(worst, rel);
        }
        return Check.pass(CHECK_STEPS + " steps at " + CHECK_BATCH + "x" + channels + "x" + CHECK_SIZE + "x" + CHECK_SIZE
                + " match the CPU: worst loss rel " + String.format("%.2e", worst));
    }
}
