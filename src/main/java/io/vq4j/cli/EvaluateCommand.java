package io.vq4j.cli;

import com.google.gson.GsonBuilder;
import io.vq4j.data.Batch;
import io.vq4j.data.BatchLoader;
import io.vq4j.data.Dataset;
import io.vq4j.data.FashionMnist;
import io.vq4j.model.Autoencoder;
import io.vq4j.model.Checkpoint;
import io.vq4j.model.ModelSpec;
import io.vq4j.model.VqAutoencoder;
import io.vq4j.nn.Backend;
import io.vq4j.ops.LossAndGrad;
import io.vq4j.ops.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code vq4j evaluate}: reconstruction MSE (per pixel, in the model's input range) and PSNR over
 * a whole data split, and for VQ models the perplexity and active codes of the code usage over it.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Reconstruction MSE / PSNR (and VQ perplexity, active codes) of a checkpoint over a data split.")
final class EvaluateCommand implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Mixin
    ModelOptions model;
    @Option(names = "--data", description = "fashion-mnist, synthetic, synthetic-shapes or an image folder (default: ${DEFAULT-VALUE})", defaultValue = "fashion-mnist")
    String data;
    @Option(names = "--split", description = "Fashion-MNIST split: test or train (default: ${DEFAULT-VALUE})", defaultValue = "test")
    String split;
    @Option(names = "--fashion-dir", description = "Fashion-MNIST IDX folder (default: the Debian package's)")
    Path fashionDir;
    @Option(names = "--batch", description = "default: ${DEFAULT-VALUE}", defaultValue = "256")
    int batch;
    @Option(names = "--json", description = "also write the numbers to this JSON file")
    Path json;

    @Override
    public Integer call() throws IOException {
        try (Backend b = model.openBackend()) {
            Checkpoint.Loaded l = model.load(b);
            ModelSpec spec = l.spec();
            Dataset ds = dataset(spec);
            try (Autoencoder m = l.model()) {
                Map<String, Object> r = evaluate(m, spec, ds, batch);
                r.forEach((k, v) -> System.out.println(k + ": " + v));
                if (json != null) Files.writeString(json, new GsonBuilder().setPrettyPrinting().create().toJson(r));
            }
        }
        return 0;
    }

    private Dataset dataset(ModelSpec spec) {
        if (!"fashion-mnist".equals(data)) {
            return DataSource.open(data, spec.channels(), spec.height(), 3072, 0, fashionDir, false);
        }
        FashionMnist.Split s = switch (split) {
            case "test" -> FashionMnist.Split.TEST;
            case "train" -> FashionMnist.Split.TRAIN;
            default -> throw new Main.UsageError("--split " + split + ": expected test or train");
        };
        if (spec.channels() != 1) {
            throw new Main.UsageError("--data fashion-mnist has 1 channel but the model takes " + spec.channels());
        }
        try {
            return FashionMnist.open(fashionDir, s, spec.height());
        } catch (IOException | IllegalArgumentException e) {
            throw new Main.UsageError("--data fashion-mnist: " + e.getMessage());
        }
    }

    static Map<String, Object> evaluate(Autoencoder m, ModelSpec spec, Dataset ds, int batch) {
        Backend b = m.backend();
        BatchLoader.Range range = spec.kind().signedInputs() ? BatchLoader.Range.MINUS_ONE_ONE : BatchLoader.Range.ZERO_ONE;
        double sse = 0;
        long n = 0;
        long[] counts = null;
        long t0 = System.nanoTime();
        try (BatchLoader loader = BatchLoader.builder(ds).batchSize(batch).range(range).noShuffle().dropLast(false).build()) {
            for (Batch bt : loader.epoch()) {
                try (Tensor x = b.ops().upload(Tensor.of(bt.data(), spec.batchShape(bt.count())));
                     Tensor r = m.reconstruct(x);
                     LossAndGrad l = b.layers().mseLoss(r, x, false, 0f)) {
                    sse += l.read();
                    n += x.numel();
                    if (m instanceof VqAutoencoder vq) {
                        try (Tensor idx = vq.encode(x)) {
                            int[] ix = idx.toIntArray();
                            if (counts == null) counts = new long[vq.quantizer().config().numEmbeddings()];
                            for (int i : ix) counts[i]++;
                        }
                    }
                }
            }
        }
        double mse = sse / Math.max(n, 1), peak = spec.kind().signedInputs() ? 2 : 1;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("data", ds.name());
        r.put("images", ds.size());
        r.put("recon_mse", mse);
        r.put("psnr_db", 10 * Math.log10(peak * peak / mse));
        if (counts != null) {
            double total = 0, h = 0;
            int active = 0;
            for (long c : counts) total += c;
            for (long c : counts) {
                if (c > 0) {
                    active++;
                    h -= (c / total) * Math.log(c / total);
                }
            }
            r.put("perplexity", Math.exp(h));
            r.put("active_codes", active);
            r.put("num_codes", counts.length);
        }
        r.put("seconds", (System.nanoTime() - t0) / 1e9);
        return r;
    }
}
