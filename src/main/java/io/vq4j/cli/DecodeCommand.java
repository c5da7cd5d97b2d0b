package io.vq4j.cli;

import io.vq4j.io.Npy;
import io.vq4j.model.Checkpoint;
import io.vq4j.model.VqAutoencoder;
import io.vq4j.nn.Backend;
import io.vq4j.ops.DType;
import io.vq4j.ops.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code vq4j decode}: code indices (.npy int32 as encode writes them) to PNG images. */
@Command(name = "decode", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Decode VQ code indices (.npy int32 [N, h, w] or [N], as encode writes them) to PNGs.",
                "Writes OUTPUT/image_00000.png, image_00001.png, ..."})
final class DecodeCommand implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Mixin
    ModelOptions model;
    @Option(names = "--codes", required = true, description = "the .npy file of code indices")
    Path codes;
    @Option(names = "--output", required = true, description = "the folder to write PNGs into")
    Path output;

    @Override
    public Integer call() throws IOException {
        if (!Files.isRegularFile(codes)) throw new Main.UsageError("--codes " + codes + ": no such file");
        Tensor idx;
        try {
            idx = Npy.read(codes);
        } catch (IOException | IllegalArgumentException e) {
            throw new Main.UsageError("--codes " + codes + ": " + e.getMessage());
        }
        if (idx.dtype() != DType.I32 || idx.rank() < 1 || idx.dim(0) == 0) {
            throw new Main.UsageError("--codes " + codes + ": expected non-empty int32 codes [N, ...], got " + idx.describe());
        }
        try (Backend b = model.openBackend()) {
            Checkpoint.Loaded l = model.load(b);
            try (VqAutoencoder m = EncodeCommand.asVq(l); Tensor d = b.ops().upload(idx); Tensor images = decode(m, d)) {
                float[] px = images.toFloatArray();
                Files.createDirectories(output);
                for (int i = 0; i < idx.dim(0); i++) {
                    ModelFiles.writeImage(output.resolve(String.format("image_%05d.png", i)), px, i, l.spec());
                }
                System.out.println("wrote " + idx.dim(0) + " images to " + output);
            }
        }
        return 0;
    }

    private static Tensor decode(VqAutoencoder m, Tensor idx) {
        try {
            return m.decode(idx);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageError("--codes: " + e.getMessage());
        }
    }
}
