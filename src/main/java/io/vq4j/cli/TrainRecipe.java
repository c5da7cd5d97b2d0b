package io.vq4j.cli;

/**
 * The defaults of {@code --epochs}, {@code --batch} and {@code --lr} for the data being trained on.
 *
 * <p>On {@code synthetic} they are the quick demo's: {@code train} with no options must show a
 * visibly good reconstruction within 3 minutes on 2 CPU cores. Measured with the default conv
 * VQ-VAE (benchmarks/RESULTS.md, "The default train run"): 10 epochs of batch 32 with OneCycle up
 * to 3e-3 reach about 19 dB validation PSNR on the tile maps, where the reference's 6 epochs of
 * batch 64 up to 1e-3 reach 15 dB in 60% of the time, with grey, noisy reconstructions. Everywhere
 * else they are the reference design's (OneCycle max_lr 1e-3, batch 64).
 */
record TrainRecipe(int epochs, int batch, float lr) {
    static final TrainRecipe SYNTHETIC = new TrainRecipe(10, 32, 3e-3f);
    static final TrainRecipe REFERENCE = new TrainRecipe(6, 64, 1e-3f);

    static TrainRecipe forData(String data) {
        return "synthetic".equals(data) ? SYNTHETIC : REFERENCE;
    }

    // annotation values must be constants; TrainRecipeTest checks they match the records above
    static final String HELP_EPOCHS = "default: 10 on synthetic, 6 otherwise";
    static final String HELP_BATCH = "default: 32 on synthetic, 64 otherwise";
    static final String HELP_LR = "learning rate; the maximum for onecycle (default: 3e-3 on synthetic, 1e-3 otherwise)";
}
