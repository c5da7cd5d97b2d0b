package io.vq4j.cli;

import io.vq4j.io.Npy;
import io.vq4j.model.Checkpoint;
import io.vq4j.model.VqAutoencoder;
import io.vq4j.nn.Backend;
import io.vq4j.ops.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code vq4j encode}: images to code indices, written as a NumPy .npy of int32, shape
 * [N, h, w] for the conv VQ-VAE (the latent grid) or [N] for the MLP one, images in the order of
 * OUTPUT.files.txt (one input path per line; a folder's images are sorted by name).
 */
@Command(name = "encode", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Encode images to VQ code indices.",
                "Writes OUTPUT as .npy int32 [N, h, w] (conv) or [N] (MLP), and OUTPUT.files.txt listing the images in order."})
final class EncodeCommand implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Mixin
    ModelOptions model;
    @Option(names = "--input", required = true, description = "an image (PNG/JPEG) or a folder of them")
    Path input;
    @Option(names = "--output", required = true, description = "the .npy file to write")
    Path output;
    @Option(names = "--batch", description = "images per forward pass (default: ${DEFAULT-VALUE})", defaultValue = "256")
    int batch;

    @Override
    public Integer call() throws IOException {
        List<Path> files = ModelFiles.inputs(input);
        try (Backend b = model.openBackend()) {
            Checkpoint.Loaded l = model.load(b);
            try (VqAutoencoder m = asVq(l)) {
                int[][] all = {null};
                int[][] gridShape = {null};
                int[] done = {0};
                ModelFiles.inBatches(files, batch, l.spec(), b, (part, x) -> {
                    try (Tensor idx = m.encode(x)) {
                        int[] codes = idx.toIntArray();
                        int per = codes.length / part.size();
                        if (all[0] == null) {
                            all[0] = new int[files.size() * per];
                            int[] s = idx.shape();
                            gridShape[0] = java.util.Arrays.copyOfRange(s, 1, s.length);
                        }
                        System.arraycopy(codes, 0, all[0], done[0] * per, codes.length);
                        done[0] += part.size();
                    }
                });
                int[] shape = new int[1 + gridShape[0].length];
                shape[0] = files.size();
                System.arraycopy(gridShape[0], 0, shape, 1, gridShape[0].length);
                Path parent = output.toAbsolutePath().getParent();
                if (parent != null) Files.createDirectories(parent);
                Npy.write(output, Tensor.ofInts(all[0], shape));
                Files.write(Path.of(output + ".files.txt"), files.stream().map(Path::toString).toList());
                System.out.println("wrote " + output + " (int32 " + java.util.Arrays.toString(shape) + ") and " + output + ".files.txt");
            }
        }
        return 0;
    }

    static VqAutoencoder asVq(Checkpoint.Loaded l) {
        if (!(l.model() instanceof VqAutoencoder vq)) {
            l.model().close();
            ModelFiles.requireQuantized(l.spec(), "this command");
            throw new IllegalStateException("unreachable");
        }
        return vq;
    }
}
