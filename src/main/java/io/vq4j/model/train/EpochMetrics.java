package io.vq4j.model.train;

import java.util.List;

/**
 * One epoch's numbers, as written to metrics.csv: training losses averaged over the epoch's steps,
 * validation reconstruction MSE and PSNR, codebook usage over the epoch (VQ models), learning rate
 * at the epoch's end and training throughput. NaN where a value does not apply to the model.
 */
public record EpochMetrics(int epoch, long step, double trainLoss, double reconMse, double psnr, double codebookLoss,
                           double commitmentLoss, double kl, double perplexity, int activeCodes, int deadCodes,
                           double valLoss, double valPsnr, double lr, double imagesPerSecond, double seconds) {

    public static final List<String> COLUMNS = List.of("epoch", "step", "train_loss", "recon_mse", "psnr",
            "codebook_loss", "commitment_loss", "kl", "perplexity", "active_codes", "dead_codes", "val_loss",
            "val_psnr", "lr", "images_per_s", "seconds");

    public Object[] row() {
        return new Object[] {epoch, step, trainLoss, reconMse, psnr, codebookLoss, commitmentLoss, kl, perplexity,
                activeCodes, deadCodes, valLoss, valPsnr, lr, imagesPerSecond, seconds};
    }

    /** One plain line for logs. */
    public String line() {
        StringBuilder b = new StringBuilder(String.format("epoch %d  step %d  loss %.5f  recon %.5f  psnr %.2f dB",
                epoch, step, trainLoss, reconMse, psnr));
        if (!Double.isNaN(perplexity)) {
            b.append(String.format("  vq %.5f/%.5f  perplexity %.1f  active %d  dead %d", codebookLoss, commitmentLoss,
                    perplexity, activeCodes, deadCodes));
        }
        if (!Double.isNaN(kl)) b.append(String.format("  kl %.2f", kl));
        b.append(String.format("  val %.5f (%.2f dB)  lr %.2e  %.0f img/s", valLoss, valPsnr, lr, imagesPerSecond));
        return b.toString();
    }
}
