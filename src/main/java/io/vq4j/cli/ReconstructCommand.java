package io.vq4j.cli;

import io.vq4j.model.Autoencoder;
import io.vq4j.model.Checkpoint;
import io.vq4j.nn.Backend;
import io.vq4j.ops.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code vq4j reconstruct}: images through the model (encode, then decode), as PNGs with the inputs' names. */
@Command(name = "reconstruct", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Reconstruct images with a trained model (any kind).",
                "Writes OUTPUT/<input name>.png for each input image."})
final class ReconstructCommand implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Mixin
    ModelOptions model;
    @Option(names = "--input", required = true, description = "an image (PNG/JPEG) or a folder of them")
    Path input;
    @Option(names = "--output", required = true, description = "the folder to write PNGs into")
    Path output;
    @Option(names = "--batch", description = "images per forward pass (default: ${DEFAULT-VALUE})", defaultValue = "256")
    int batch;

    @Override
    public Integer call() throws IOException {
        List<Path> files = ModelFiles.inputs(input);
        try (Backend b = model.openBackend()) {
            Checkpoint.Loaded l = model.load(b);
            try (Autoencoder m = l.model()) {
                Files.createDirectories(output);
                ModelFiles.inBatches(files, batch, l.spec(), b, (part, x) -> {
                    try (Tensor r = m.reconstruct(x)) {
                        float[] px = r.toFloatArray();
                        for (int i = 0; i < part.size(); i++) {
                            String name = part.get(i).getFileName().toString().replaceFirst("\\.[^.]+$", "") + ".png";
                            ModelFiles.writeImage(output.resolve(name), px, i, l.spec());
                        }
                    }
                });
                System.out.println("wrote " + files.size() + " reconstructions to " + output);
            }
        }
        return 0;
    }
}
