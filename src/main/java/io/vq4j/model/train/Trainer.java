package io.vq4j.model.train;

import io.vq4j.data.Batch;
import io.vq4j.data.BatchLoader;
import io.vq4j.data.Dataset;
import io.vq4j.data.Splits;
import io.vq4j.data.Subset;
import io.vq4j.io.ImageGrid;
import io.vq4j.io.LossChart;
import io.vq4j.io.MetricsCsv;
import io.vq4j.io.PixelRange;
import io.vq4j.model.Autoencoder;
import io.vq4j.model.Checkpoint;
import io.vq4j.model.ModelSpec;
import io.vq4j.nn.Adam;
import io.vq4j.nn.Backend;
import io.vq4j.nn.LrSchedule;
import io.vq4j.nn.OneCycleLr;
import io.vq4j.ops.CodebookStats;
import io.vq4j.ops.DType;
import io.vq4j.ops.LossAndGrad;
import io.vq4j.ops.Tensor;
import io.vq4j.data.Augment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The training loop, the same on every backend: batches are prepared off the training thread
 * ({@link BatchLoader}), each step is forward + backward + Adam/AdamW + the model's after-step
 * work (EMA codebook, dead codes), and each epoch ends with a validation pass and one row of
 * metrics.csv. Every {@code imagesEvery} epochs and at the end it writes reconstructions.png
 * (validation originals over their reconstructions) and loss.png, and at the end the checkpoint.
 *
 * <p>A step ({@link TrainStep}) reads nothing back, and its batch goes up through page-locked
 * staging ({@link BatchUpload}), so the host queues step after step without waiting for the GPU: the epoch's loss sums and code counts (for the
 * perplexity) are kept on the device ({@link EpochSums}) and read at the end of the epoch, and
 * for the progress display at most twice a second. A non-finite loss is reported with the step it
 * first happened at, when the sums are next read.
 */
public final class Trainer {
    /** Where progress goes: a progress bar on a terminal, plain lines otherwise (see {@link ProgressSink}). */
    private final ProgressSink progress;

    public Trainer(ProgressSink progress) {
        this.progress = progress;
    }

    /** What a run produced. {@code firstStepLoss} lets two backends be compared from the same seed. */
    public record Result(List<EpochMetrics> history, long steps, double firstStepLoss, boolean stoppedEarly,
                         Path checkpoint) {}

    public Result train(ModelSpec spec, Autoencoder model, Dataset data, TrainConfig cfg) throws IOException {
        if (data.channels() != spec.channels() || data.height() != spec.height() || data.width() != spec.width()) {
            throw new IllegalArgumentException("data '" + data.name() + "' is " + data.channels() + "x" + data.height() + "x"
                    + data.width() + " but the model takes " + spec.channels() + "x" + spec.height() + "x" + spec.width());
        }
        Files.createDirectories(cfg.outDir());
        Backend backend = model.backend();
        Splits.TrainValidation split = Splits.trainValidation(data, cfg.validationFraction(), cfg.seed());
        Subset train = split.train(), val = split.validation();
        if (train.size() < cfg.batchSize()) {
            throw new IllegalArgumentException("the training split has " + train.size() + " images, fewer than one batch of "
                    + cfg.batchSize() + " (data '" + data.name() + "', validation fraction " + cfg.validationFraction() + ")");
        }
        long stepsPerEpoch = train.size() / cfg.batchSize();
        long plannedSteps = cfg.maxSteps() > 0 ? Math.min(cfg.maxSteps(), stepsPerEpoch * cfg.epochs())
                : stepsPerEpoch * cfg.epochs();
        LrSchedule schedule = cfg.schedule() == TrainConfig.Schedule.ONECYCLE
                ? OneCycleLr.of(cfg.lr(), Math.max(plannedSteps, 1)) : LrSchedule.constant(cfg.lr());
        Adam adam = cfg.optimizer() == TrainConfig.Optimizer.ADAMW
                ? Adam.adamW(backend, model.parameters(), cfg.weightDecay(), schedule)
                : new Adam(backend, model.parameters(), new io.vq4j.ops.AdamConfig(cfg.lr(), 0.9f, 0.999f, 1e-8f,
                cfg.weightDecay(), false), schedule);
        BatchLoader.Range range = spec.kind().signedInputs() ? BatchLoader.Range.MINUS_ONE_ONE : BatchLoader.Range.ZERO_ONE;
        PixelRange pixels = spec.kind().signedInputs() ? PixelRange.SIGNED : PixelRange.UNIT;
        double peak = spec.kind().signedInputs() ? 2.0 : 1.0; // PSNR's data range

        List<EpochMetrics> history = new ArrayList<>();
        double[] trainCurve = new double[cfg.epochs()], valCurve = new double[cfg.epochs()];
        double firstStepLoss = Double.NaN;
        boolean stoppedEarly = false;
        long step = 0;
        BatchLoader.Builder lb = BatchLoader.builder(train).batchSize(cfg.batchSize()).range(range).shuffle(cfg.seed()).dropLast(true);
        if (cfg.augment()) lb.augment(Augment.reference(cfg.seed()));
        try (BatchLoader loader = lb.build();
             MetricsCsv csv = MetricsCsv.create(cfg.outDir().resolve("metrics.csv"), EpochMetrics.COLUMNS);
             TrainStep trainStep = new TrainStep(model, adam);
             BatchUpload uploads = new BatchUpload(backend)) {
            model.train(true);
            int epochsRun = 0;
            for (int epoch = 1; epoch <= cfg.epochs() && !stoppedEarly; epoch++) {
                long t0 = System.nanoTime();
                trainStep.startEpoch();
                long epochStart = step;
                int images = 0;
                progress.startEpoch(epoch, cfg.epochs(), stepsPerEpoch);
                // the step queues its work; the sums are read for the progress display only every
                // readIntervalNanos (each read waits for the device), and always at the epoch's end
                long lastRead = System.nanoTime();
                double shownMean = Double.NaN;
                for (Batch b : loader.epoch()) {
                    if (cfg.maxSteps() > 0 && step >= cfg.maxSteps()) break;
                    try (Tensor x = uploads.upload(b.data(), spec.batchShape(b.count()))) {
                        trainStep.run(x);
                    }
                    step++;
                    images += b.count();
                    long now = System.nanoTime();
                    // a NaN shown means no read yet this epoch (or a bad loss, which the read reports)
                    if (Double.isNaN(shownMean) || now - lastRead >= trainStep.readIntervalNanos()) {
                        shownMean = checked(trainStep.read(), epoch, epochStart).meanTotal();
                        lastRead = now;
                    }
                    progress.step(shownMean);
                }
                EpochSums.Snapshot sums = checked(trainStep.read(), epoch, epochStart);
                if (epoch == 1 && sums.steps() > 0) firstStepLoss = sums.firstTotal();
                double seconds = (System.nanoTime() - t0) / 1e9;
                double[] v = validate(model, spec, val, cfg.batchSize(), range, peak);
                double perplexity = Double.NaN;
                int active = -1, dead = -1;
                if (sums.codeCounts() != null) {
                    CodebookStats s = perplexityOf(sums.codeCounts());
                    perplexity = s.perplexity();
                    active = s.activeCodes();
                    dead = s.deadCodes();
                }
                double recon = sums.reconMse();
                EpochMetrics m = new EpochMetrics(epoch, step, sums.meanTotal(), recon, psnr(recon, peak),
                        sums.meanCodebook(), sums.meanCommitment(), sums.meanKl(), perplexity, active, dead,
                        v[0], v[1], schedule.lr(Math.max(step - 1, 0)), images / Math.max(seconds, 1e-9), seconds);
                history.add(m);
                csv.append(m.row());
                trainCurve[epoch - 1] = recon;
                valCurve[epoch - 1] = v[0];
                epochsRun = epoch;
                progress.endEpoch(m);
                stoppedEarly = !Double.isNaN(cfg.targetValidationLoss()) && v[0] <= cfg.targetValidationLoss();
                boolean last = epoch == cfg.epochs() || stoppedEarly || (cfg.maxSteps() > 0 && step >= cfg.maxSteps());
                if (epoch % cfg.imagesEvery() == 0 || last) {
                    writePictures(model, spec, val, pixels, cfg.outDir(), java.util.Arrays.copyOf(trainCurve, epoch),
                            java.util.Arrays.copyOf(valCurve, epoch));
                }
                if (cfg.maxSteps() > 0 && step >= cfg.maxSteps()) break;
            }
            Path ckpt = cfg.outDir().resolve("model.safetensors");
            Checkpoint.save(ckpt, spec, model);
            if (epochsRun == 0) throw new IllegalStateException("no epoch ran");
            return new Result(history, step, firstStepLoss, stoppedEarly, ckpt);
        }
    }

    /** Validation reconstruction MSE (mean over pixels, in the model's range) and its PSNR. */
    static double[] validate(Autoencoder model, ModelSpec spec, Dataset val, int batchSize, BatchLoader.Range range,
                             double peak) {
        Backend backend = model.backend();
        double sum = 0;
        long n = 0;
        try (BatchLoader loader = BatchLoader.builder(val).batchSize(batchSize).range(range).noShuffle().dropLast(false).build()) {
            for (Batch b : loader.epoch()) {
                try (Tensor x = backend.ops().upload(Tensor.of(b.data(), spec.batchShape(b.count())));
                     Tensor r = model.reconstruct(x);
                     LossAndGrad l = backend.layers().mseLoss(r, x, false, 0f)) {
                    sum += l.read();
                    n += x.numel();
                }
            }
        }
        double mse = sum / Math.max(n, 1);
        return new double[] {mse, psnr(mse, peak)};
    }

    static double psnr(double mse, double peak) {
        return mse > 0 ? 10 * Math.log10(peak * peak / mse) : Double.POSITIVE_INFINITY;
    }

    /** Throws if a step of this epoch had a non-finite loss (the step it first happened at, as before). */
    private static EpochSums.Snapshot checked(EpochSums.Snapshot s, int epoch, long epochStart) {
        if (s.badStep() >= 0) {
            throw new IllegalStateException("the loss became " + s.badValue() + " at step " + (epochStart + s.badStep() + 1)
                    + " (epoch " + epoch + "); lower the learning rate (--lr) or check the data");
        }
        return s;
    }

    /** Perplexity of the epoch's code usage (the same formula as Ops.codebookStats, on host counts). */
    static CodebookStats perplexityOf(long[] counts) {
        double total = 0;
        for (long c : counts) total += c;
        double h = 0;
        int active = 0;
        for (long c : counts) {
            if (c > 0) {
                active++;
                double p = c / total;
                h -= p * Math.log(p);
            }
        }
        return new CodebookStats(total > 0 ? Math.exp(h) : 0, active, counts.length - active, total);
    }

    /** reconstructions.png (8 validation images over their reconstructions) and loss.png. */
    private static void writePictures(Autoencoder model, ModelSpec spec, Dataset val, PixelRange pixels, Path out,
                                      double[] train, double[] valid) throws IOException {
        int n = Math.min(8, val.size());
        int c = spec.channels(), h = spec.height(), w = spec.width(), per = c * h * w;
        float[] x = new float[n * per];
        for (int i = 0; i < n; i++) val.read(i, x, i * per);
        if (pixels == PixelRange.SIGNED) for (int i = 0; i < x.length; i++) x[i] = 2 * x[i] - 1;
        Backend backend = model.backend();
        try (Tensor dx = backend.ops().upload(Tensor.of(x, spec.batchShape(n))); Tensor r = model.reconstruct(dx)) {
            float[] rec = r.toFloatArray();
            ImageGrid.writeComparison(out.resolve("reconstructions.png"), Tensor.of(x, n, c, h, w), Tensor.of(rec, n, c, h, w),
                    n, pixels);
        }
        try {
            LossChart.write(out.resolve("loss.png"), train, valid, true);
        } catch (RuntimeException | LinkageError | InternalError e) {
            // Charts draw text, which needs fonts; a headless server may have none (seen: a jlink'd
            // runtime on a GPU machine, "Fontconfig head is null"). Training goes on without loss.png.
            if (!chartWarned) {
                chartWarned = true;
                LOG.log(System.Logger.Level.WARNING, "loss.png not written (" + e + "); metrics.csv has the same curves");
            }
        }
    }

    private static final System.Logger LOG = System.getLogger("io.vq4j.model.train");
    private static volatile boolean chartWarned;
}
