package io.vq4j.bench;

import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.MemoryPool;
import io.vq4j.ops.CpuOps;
import io.vq4j.ops.CudaOps;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Times, on the CUDA backend, exactly the ops and shapes benchmarks/pytorch/bench_ops.py times,
 * the same way (CUDA events, warm-up, median of at least 30 runs, inputs rotated past the L2),
 * after checking each op against its CPU twin on the same inputs; measures the copy and SGEMM
 * floors in the same run and writes JSON for benchmarks/report.py.
 * <pre>
 *   java -cp target/benchmarks.jar io.vq4j.bench.GpuBench --out vq4j.json [--quick] [--reps 30] [--only TEXT] [--keep-pool]
 * </pre>
 * {@code --only TEXT} keeps the cases whose "op shape" contains TEXT (e.g. "train step ConvVQVAE").
 * {@code --quick} divides the big sizes by 8, as bench_ops.py's {@code --quick} does, so the two
 * still pair up (the training steps: a quarter of the batch, as bench_train_step.py's --quick).
 * The last rows are one full training step of the conv VAE and VQ-VAE ({@link TrainStepCases}),
 * in FP32 and with TF32 convolutions (field "tf32"), for bench_train_step.py's numbers. {@code -Dvq4j.checks=false} is set unless given: the data checks' device
 * read-backs (a synchronisation) would be timed; correctness is the CPU-twin check instead.
 * {@code --keep-pool} sets the device memory pool to keep freed memory, which is already the
 * shipped default (as PyTorch's caching allocator does); it matters only under
 * {@code -Dvq4j.cuda.pool=release}, which returns freed memory at every synchronisation.
 * Exit status: 0, 1 when a check failed (the JSON is written either way), 2 without a GPU.
 */
public final class GpuBench {
    private GpuBench() {}

    /** One benchmark: its napkin math and how to run it. */
    private record Case(Workload work, Body body) {}

    @FunctionalInterface
    private interface Body {
        Row run(BenchContext c, Workload w);
    }

    /** Command-line options. */
    private record Options(Path out, boolean quick, int reps, String only, boolean keepPool) {
        static Options parse(String[] args) {
            Path out = null;
            boolean quick = false, keepPool = false;
            int reps = 30;
            String only = null;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--out" -> out = Path.of(value(args, ++i, "--out"));
                    case "--quick" -> quick = true;
                    case "--reps" -> reps = Integer.parseInt(value(args, ++i, "--reps"));
                    case "--only" -> only = value(args, ++i, "--only");
                    case "--keep-pool" -> keepPool = true;
                    default -> throw new IllegalArgumentException("unknown argument '" + args[i]
                            + "'; usage: GpuBench --out FILE [--quick] [--reps N] [--only TEXT] [--keep-pool]");
                }
            }
            if (out == null) throw new IllegalArgumentException("--out FILE is required");
            if (reps < 30) throw new IllegalArgumentException("--reps must be >= 30 (a stable median), got " + reps);
            return new Options(out, quick, reps, only, keepPool);
        }

        private static String value(String[] args, int i, String flag) {
            if (i >= args.length) throw new IllegalArgumentException(flag + " needs a value");
            return args[i];
        }
    }

    public static void main(String[] args) throws IOException {
        // before any op class loads: CheckedOps reads it once
        if (System.getProperty("vq4j.checks") == null) System.setProperty("vq4j.checks", "false");
        Options o = Options.parse(args);
        if (!Cuda.isAvailable()) {
            System.err.println("GpuBench: CUDA is not available: " + Cuda.unavailableReason());
            System.exit(2);
        }
        boolean allOk;
        try (CudaOps gpu = new CudaOps(); CpuOps cpu = new CpuOps()) {
            Cuda.Runtime rt = gpu.runtime();
            System.out.println("device: " + rt.context() + ", driver " + Cuda.driverVersionString(rt.driverVersion())
                    + ", vq4j.checks=" + System.getProperty("vq4j.checks"));
            String pool = poolSetting(gpu, o.keepPool());
            System.out.println("memory pool release threshold: " + pool);
            Floors floors = Floors.measure(gpu);
            System.out.printf("floors: copy %.2f TB/s, SGEMM %.1f TFLOP/s, TF32 %.1f TFLOP/s%n",
                    floors.copyBytesPerSecond() / 1e12, floors.fp32FlopsPerSecond() / 1e12,
                    floors.tf32FlopsPerSecond() / 1e12);
            BenchContext ctx = new BenchContext(gpu, cpu, floors, o.reps());
            List<Row> rows = new ArrayList<>();
            for (Case c : cases(o.quick() ? 8 : 1)) {
                if (o.only() != null && !(c.work().op() + " " + c.work().shape()).contains(o.only())) continue;
                Row r = run(ctx, c);
                rows.add(r);
                System.out.println(r.summary());
                if (!r.check().ok()) System.out.println("    " + r.check().verdict());
            }
            ResultJson.write(o.out(), rt, floors, o.reps(), o.quick(), pool, rows);
            System.out.println("wrote " + o.out());
            allOk = rows.stream().allMatch(r -> r.check().ok());
        }
        System.exit(allOk ? 0 : 1);
    }

    /**
     * The device pool's release threshold, after setting it to "keep everything" when asked. As
     * shipped (Cuda.start) the pool keeps freed memory; with -Dvq4j.cuda.pool=release every
     * synchronisation (the timer waits after each run) would return it to the OS and the next run
     * would map it again, inside the timed window.
     */
    private static String poolSetting(CudaOps gpu, boolean keep) {
        try {
            MemoryPool p = MemoryPool.ofDevice(gpu.runtime().context().ordinal());
            if (keep) p.setReleaseThreshold(-1L);
            return Long.toUnsignedString(p.releaseThreshold()) + (keep ? " (--keep-pool)" : " (as shipped)");
        } catch (RuntimeException e) {
            if (keep) throw e;
            return "unknown: " + e.getMessage();
        }
    }

    /** bench_ops.py's list, in its order; {@code scale} is its --quick divisor. */
    private static List<Case> cases(int scale) {
        List<Case> cases = new ArrayList<>();
        int[][] nearest = {{524288, 64, 256}, {524288, 64, 1024}, {131072, 256, 16384}, {65536, 4, 512}};
        for (int[] s : nearest) {
            int n = s[0] / scale, d = s[1], k = s[2];
            cases.add(new Case(Workload.nearestQuantize(n, d, k), (c, w) -> VqCases.nearestQuantize(c, w, n, d, k)));
        }
        for (int n0 : new int[] {64 << 20, 131072}) {
            int n = n0 > 1_000_000 ? n0 / scale : n0;
            cases.add(new Case(Workload.reparameterize(n), (c, w) -> GaussianCases.reparameterize(c, w, n)));
        }
        int n = (64 << 20) / scale;
        cases.add(new Case(Workload.kl(n), (c, w) -> GaussianCases.klSum(c, w, n)));
        cases.add(new Case(Workload.reparamKlFwdBwd(n), (c, w) -> GaussianCases.reparamKlFwdBwd(c, w, n)));
        // not in bench_ops.py: the same step through the two fused ops
        cases.add(new Case(Workload.reparamKlFwdBwdFused(n), (c, w) -> GaussianCases.reparamKlFwdBwdFused(c, w, n)));
        int qn = 524288 / scale, qd = 64, qk = 512;
        cases.add(new Case(Workload.quantizerFwdBwd(qn, qd, qk),
                (c, w) -> VqCases.quantizerFwdBwd(c, w, qn, qd, qk, false)));
        // not in bench_ops.py: the bitwise-reproducible backward, for its cost (report.py shows "-" for PyTorch)
        cases.add(new Case(Workload.quantizerFwdBwd("quantizer fwd+bwd deterministic", qn, qd, qk),
                (c, w) -> VqCases.quantizerFwdBwd(c, w, qn, qd, qk, true)));
        // bench_train_step.py's two cases (--quick: a quarter of the batch, as its --quick), full FP32
        // and with TF32 convolutions; report.py pairs them with its --tf32 off / on runs
        int vaeBatch = Math.max(1, 8 / (scale == 1 ? 1 : 4)), vqBatch = Math.max(1, 16 / (scale == 1 ? 1 : 4));
        for (boolean tf32 : new boolean[] {false, true}) {
            cases.add(new Case(Workload.trainStep(true, vaeBatch, 3, 512),
                    (c, w) -> TrainStepCases.trainStep(c, w, true, vaeBatch, 3, 512, tf32)));
            cases.add(new Case(Workload.trainStep(false, vqBatch, 3, 256),
                    (c, w) -> TrainStepCases.trainStep(c, w, false, vqBatch, 3, 256, tf32)));
        }
        return cases;
    }

    /** Runs one case; a failure (e.g. out of memory) or a leaked buffer becomes a failed row, and the rest go on. */
    private static Row run(BenchContext ctx, Case c) {
        long buffers = DeviceBuffer.liveBuffers();
        try {
            Row r = c.body().run(ctx, c.work());
            long leaked = DeviceBuffer.liveBuffers() - buffers;
            if (leaked == 0) return r;
            return new Row(r.work(), r.stats(), r.floorMs(), r.check().and(Check.fail(leaked + " device buffers leaked")),
                    r.sets(), r.extra());
        } catch (RuntimeException | OutOfMemoryError e) {
            e.printStackTrace();
            return new Row(c.work(), null, c.work().floorMs(ctx.floors()), Check.fail("error: " + e), 0, null);
        }
    }
}
