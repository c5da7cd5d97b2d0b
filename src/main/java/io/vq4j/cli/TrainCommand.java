package io.vq4j.cli;

import io.vq4j.data.Dataset;
import io.vq4j.model.Autoencoder;
import io.vq4j.model.ConvVQVAE;
import io.vq4j.model.ModelKind;
import io.vq4j.model.ModelSpec;
import io.vq4j.model.train.ProgressSink;
import io.vq4j.model.train.TrainConfig;
import io.vq4j.model.train.Trainer;
import io.vq4j.nn.Backend;
import io.vq4j.nn.VectorQuantizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code vq4j train}: trains a model and writes model.safetensors, metrics.csv, reconstructions.png, loss.png. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a model. With no options: the default conv VQ-VAE on synthetic 3x32x32 images.",
                "Writes DIR/model.safetensors, DIR/metrics.csv, DIR/reconstructions.png and DIR/loss.png."})
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--model", description = "vqvae, vae, mlp-vqvae or mlp-vae (default: ${DEFAULT-VALUE})", defaultValue = "vqvae")
    String model;
    @Option(names = "--data", description = "synthetic (tile maps), synthetic-shapes, fashion-mnist or an image folder (default: ${DEFAULT-VALUE})", defaultValue = "synthetic")
    String data;
    @Option(names = "--fashion-dir", description = "Fashion-MNIST IDX folder (default: the Debian package's, /usr/share/datasets/fashion-mnist)")
    Path fashionDir;
    @Option(names = "--synthetic-count", description = "images in the synthetic set (default: ${DEFAULT-VALUE})", defaultValue = "3072")
    int syntheticCount;
    @Option(names = "--epochs", description = TrainRecipe.HELP_EPOCHS)
    Integer epochs;
    @Option(names = "--max-steps", description = "stop after this many steps in all (0: no limit)", defaultValue = "0")
    long maxSteps;
    @Option(names = "--batch", description = TrainRecipe.HELP_BATCH)
    Integer batch;
    @Option(names = "--image-size", description = "side of the (square) images; conv models need a multiple of 8 (default: 32)")
    Integer imageSize;
    @Option(names = "--backend", description = "auto, cpu or cuda (default: ${DEFAULT-VALUE})", defaultValue = "auto")
    String backend;
    @Option(names = "--seed", description = "model and data seed (default: ${DEFAULT-VALUE})", defaultValue = "0")
    long seed;
    @Option(names = "--out", description = "output folder (default: ${DEFAULT-VALUE})", defaultValue = "runs/latest")
    Path out;
    @Option(names = "--optimizer", description = "adam or adamw (default: ${DEFAULT-VALUE})", defaultValue = "adamw")
    String optimizer;
    @Option(names = "--lr", description = TrainRecipe.HELP_LR)
    Float lr;
    @Option(names = "--weight-decay", description = "default: 0.01 for adamw, 0 for adam")
    Float weightDecay;
    @Option(names = "--schedule", description = "onecycle or constant (default: ${DEFAULT-VALUE})", defaultValue = "onecycle")
    String schedule;
    @Option(names = "--val-fraction", description = "held-out share for validation (default: ${DEFAULT-VALUE})", defaultValue = "0.1")
    double valFraction;
    @Option(names = "--target-val-loss", description = "stop early once the validation MSE is at most this")
    Double target;
    @Option(names = "--augment", description = "random flip, rotation +-10 degrees and colour jitter on training images")
    boolean augment;
    @Option(names = "--ema", description = "EMA codebook (decay 0.99, eps 1e-5) instead of a gradient-trained one")
    boolean ema;
    @Option(names = "--kmeans-init", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "initialise the codebook by k-means on the first batch (default: on; --no-kmeans-init for the reference design's random init)")
    boolean kmeansInit;
    @Option(names = "--dead-code-threshold", defaultValue = "1",
            description = "revive codes used fewer times than this in a step from the batch (default: ${DEFAULT-VALUE}; 0: never)")
    float deadCodeThreshold;
    @Option(names = "--codes", description = "codebook size K for the conv VQ-VAE (default: ${DEFAULT-VALUE})", defaultValue = "512")
    int numCodes;
    @Option(names = "--images-every", description = "write reconstructions.png and loss.png every N epochs (default: ${DEFAULT-VALUE})", defaultValue = "1")
    int imagesEvery;
    @Option(names = "--fail-on-bad-file", description = "stop at an unreadable image instead of skipping it")
    boolean failOnBadFile;

    @Override
    public Integer call() throws IOException {
        ModelKind kind = parse(() -> ModelKind.of(model));
        int size = imageSize != null ? imageSize : 32;
        int channels = DataSource.channels(data);
        ModelSpec spec = parse(() -> ModelSpec.defaults(kind, channels, size, seed));
        if (kind == ModelKind.VQVAE) {
            ConvVQVAE.Config c = (ConvVQVAE.Config) spec.config();
            VectorQuantizer.Config v = c.vq();
            VectorQuantizer.Config vq = parse(() -> new VectorQuantizer.Config(numCodes, v.embeddingDim(), v.beta(), ema, v.decay(),
                    v.eps(), deadCodeThreshold, kmeansInit, v.kmeansIterations(), v.deterministic()));
            spec = new ModelSpec(kind, c.withVq(vq), channels, size, size);
        }
        TrainConfig.Optimizer opt = parse(() -> TrainConfig.Optimizer.valueOf(optimizer.toUpperCase(java.util.Locale.ROOT)));
        TrainConfig.Schedule sched = parse(() -> TrainConfig.Schedule.valueOf(schedule.toUpperCase(java.util.Locale.ROOT)));
        float wd = weightDecay != null ? weightDecay : opt == TrainConfig.Optimizer.ADAMW ? 0.01f : 0f;
        TrainRecipe recipe = TrainRecipe.forData(data);
        int ep = epochs != null ? epochs : recipe.epochs(), bs = batch != null ? batch : recipe.batch();
        float rate = lr != null ? lr : recipe.lr();
        TrainConfig cfg = parse(() -> new TrainConfig(ep, maxSteps, bs, opt, rate, wd, sched, valFraction,
                target == null ? Double.NaN : target, seed, augment, imagesEvery, out));
        Dataset dataset = DataSource.open(data, channels, size, syntheticCount, seed, fashionDir, failOnBadFile);
        Backend b;
        try {
            b = Backend.create(backend);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new Main.UsageError(e.getMessage());
        }
        try (b; Autoencoder m = spec.build(b)) {
            System.out.println("training " + spec.describe());
            System.out.println("data " + dataset.name() + " (" + dataset.size() + " images), backend " + b.name()
                    + ", " + cfg.epochs() + " epochs of batch " + cfg.batchSize() + ", out " + out);
            long t0 = System.nanoTime();
            Trainer.Result r = new Trainer(ProgressSink.auto(System.out)).train(spec, m, dataset, cfg);
            System.out.printf("done: %d steps in %.1f s%s; first-step loss %.6f; wrote %s%n", r.steps(),
                    (System.nanoTime() - t0) / 1e9, r.stoppedEarly() ? " (validation target reached)" : "",
                    r.firstStepLoss(), r.checkpoint());
        }
        return 0;
    }

    /** Runs a parse or config step, turning its IllegalArgumentException into a one-line usage error. */
    static <T> T parse(java.util.function.Supplier<T> s) {
        try {
            return s.get();
        } catch (IllegalArgumentException e) {
            throw new Main.UsageError(e.getMessage());
        }
    }
}
