package io.vq4j.cli;

import io.vq4j.data.BadFilePolicy;
import io.vq4j.data.Dataset;
import io.vq4j.data.FashionMnist;
import io.vq4j.data.ImageFolder;
import io.vq4j.data.SyntheticImages;
import io.vq4j.data.SyntheticTiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Parses {@code --data synthetic|synthetic-shapes|fashion-mnist|DIR} into a dataset of the requested size. */
final class DataSource {
    private DataSource() {}

    /** Channels of the data a {@code --data} value names (3 for synthetic and folders, 1 for Fashion-MNIST). */
    static int channels(String data) {
        return "fashion-mnist".equals(data) ? 1 : 3;
    }

    /** The dataset {@code --data} names, as {@code channels} x size x size images (Fashion-MNIST is always 1 channel). */
    static Dataset open(String data, int channels, int size, int syntheticCount, long seed, Path fashionDir,
                        boolean failOnBadFile) {
        try {
            return switch (data) {
                case "synthetic" -> new SyntheticTiles(syntheticCount, channels, size, size, seed);
                case "synthetic-shapes" -> new SyntheticImages(syntheticCount, channels, size, size, seed);
                case "fashion-mnist" -> FashionMnist.open(fashionDir, FashionMnist.Split.TRAIN, size);
                default -> {
                    Path dir = Path.of(data);
                    if (!Files.isDirectory(dir)) {
                        throw new Main.UsageError("--data " + data + ": not 'synthetic', 'synthetic-shapes', 'fashion-mnist' or an image folder");
                    }
                    yield ImageFolder.open(dir, channels, size, size, failOnBadFile ? BadFilePolicy.FAIL : BadFilePolicy.SKIP);
                }
            };
        } catch (IOException | IllegalArgumentException e) {
            throw new Main.UsageError("--data " + data + ": " + e.getMessage());
        }
    }
}
