package io.vq4j.model.train;

import java.nio.file.Path;

/**
 * How to train: optimizer and schedule (PyTorch's Adam/AdamW and OneCycleLR semantics), batch,
 * epochs, validation split and early stop, seed, and where the outputs go.
 *
 * @param epochs               passes over the training split
 * @param maxSteps             stop after this many optimizer steps in all (0: no limit), e.g. to match another run
 * @param batchSize            images per step
 * @param optimizer            ADAM or ADAMW
 * @param lr                   the (maximum, for ONECYCLE) learning rate
 * @param weightDecay          AdamW's decoupled decay, Adam's L2 penalty
 * @param schedule             ONECYCLE (max_lr = lr) or CONSTANT
 * @param validationFraction   share of the data held out for validation (0 < f < 1)
 * @param targetValidationLoss stop early once the validation loss (reconstruction MSE) is at most this (NaN: never)
 * @param seed                 data split, order and augmentation; the model's own seed is in its config
 * @param augment              the reference augmentations (flip, rotation, colour jitter) on training images
 * @param imagesEvery          write reconstructions.png and loss.png every this many epochs (and at the end)
 * @param outDir               where model.safetensors, metrics.csv, reconstructions.png and loss.png go
 */
public record TrainConfig(int epochs, long maxSteps, int batchSize, Optimizer optimizer, float lr, float weightDecay,
                          Schedule schedule, double validationFraction, double targetValidationLoss, long seed,
                          boolean augment, int imagesEvery, Path outDir) {
    public enum Optimizer { ADAM, ADAMW }
    public enum Schedule { ONECYCLE, CONSTANT }

    public TrainConfig {
        if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        if (maxSteps < 0) throw new IllegalArgumentException("maxSteps must be >= 0, got " + maxSteps);
        if (batchSize < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batchSize);
        if (optimizer == null || schedule == null) throw new IllegalArgumentException("optimizer and schedule must be given");
        if (!(lr > 0) || Float.isInfinite(lr)) throw new IllegalArgumentException("lr must be > 0, got " + lr);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
        if (!(validationFraction > 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in (0, 1), got " + validationFraction);
        }
        if (imagesEvery < 1) throw new IllegalArgumentException("images-every must be >= 1, got " + imagesEvery);
        if (outDir == null) throw new IllegalArgumentException("outDir must be given");
    }

    /** The defaults: AdamW, OneCycle with max_lr 1e-3, batch 64, 10% validation, seed 0. */
    public static TrainConfig defaults(Path outDir) {
        return new TrainConfig(5, 0, 64, Optimizer.ADAMW, 1e-3f, 0.01f, Schedule.ONECYCLE, 0.1, Double.NaN, 0,
                false, 1, outDir);
    }
}
