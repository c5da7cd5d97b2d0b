package io.vq4j.cli;

import io.vq4j.io.Images;
import io.vq4j.model.Checkpoint;
import io.vq4j.model.ModelSpec;
import io.vq4j.nn.Backend;
import io.vq4j.ops.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** What encode / decode / reconstruct share: opening a checkpoint, reading and writing images. */
final class ModelFiles {
    private ModelFiles() {}

    static Backend backend(String name) {
        try {
            return Backend.create(name);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new Main.UsageError(e.getMessage());
        }
    }

    /**
     * For checkpoints written by PyTorch (no vq4j metadata): which reference model it is, and its
     * input, so the weights can be read into the same model here.
     */
    static final class PyTorchModel {
        @picocli.CommandLine.Option(names = "--pytorch-model", description = "for a state_dict saved by PyTorch "
                + "(benchmarks/pytorch/models.py): vqvae, vae, mlp-vqvae or mlp-vae, with --channels and --image-size")
        String kind;
        @picocli.CommandLine.Option(names = "--channels", description = "input channels of a --pytorch-model (default: ${DEFAULT-VALUE})", defaultValue = "1")
        int channels;
        @picocli.CommandLine.Option(names = "--image-size", description = "input side of a --pytorch-model (default: ${DEFAULT-VALUE})", defaultValue = "32")
        int size;

        io.vq4j.model.ModelSpec spec() {
            if (kind == null) return null;
            try {
                return io.vq4j.model.ModelSpec.defaults(io.vq4j.model.ModelKind.of(kind), channels, size, 0);
            } catch (IllegalArgumentException e) {
                throw new Main.UsageError("--pytorch-model: " + e.getMessage());
            }
        }
    }

    static Checkpoint.Loaded load(Path file, Backend b) {
        return load(file, b, null);
    }

    static Checkpoint.Loaded load(Path file, Backend b, PyTorchModel pt) {
        if (!Files.isRegularFile(file)) throw new Main.UsageError("--model " + file + ": no such file");
        try {
            return Checkpoint.load(file, b, pt == null ? null : pt.spec());
        } catch (IOException | IllegalArgumentException e) {
            throw new Main.UsageError("--model " + file + ": " + e.getMessage());
        }
    }

    /** The PNG/JPEG files of --input: the file itself, or every image in the folder, sorted by name. */
    static List<Path> inputs(Path input) {
        if (Files.isRegularFile(input)) return List.of(input);
        if (!Files.isDirectory(input)) throw new Main.UsageError("--input " + input + ": no such file or folder");
        try (Stream<Path> s = Files.list(input)) {
            List<Path> files = s.filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                return Files.isRegularFile(p) && (n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg"));
            }).sorted().toList();
            if (files.isEmpty()) throw new Main.UsageError("--input " + input + ": no PNG or JPEG files");
            return files;
        } catch (IOException e) {
            throw new Main.UsageError("--input " + input + ": " + e.getMessage());
        }
    }

    /** What runs on each batch of input images: the files and the batch, already on the backend. */
    interface BatchBody {
        void accept(List<Path> files, Tensor x) throws IOException;
    }

    /** Reads {@code files} in batches of {@code batch}, uploads each, runs {@code body}, frees it. */
    static void inBatches(List<Path> files, int batch, ModelSpec spec, io.vq4j.nn.Backend b, BatchBody body)
            throws IOException {
        if (batch < 1) throw new Main.UsageError("--batch must be >= 1, got " + batch);
        for (int from = 0; from < files.size(); from += batch) {
            List<Path> part = files.subList(from, Math.min(files.size(), from + batch));
            try (Tensor x = b.ops().upload(batch(part, spec))) {
                body.accept(part, x);
            }
        }
    }

    /** Reads {@code files} as one batch in the model's input shape and range. */
    static Tensor batch(List<Path> files, ModelSpec spec) {
        int per = spec.channels() * spec.height() * spec.width();
        float[] x = new float[files.size() * per];
        for (int i = 0; i < files.size(); i++) {
            try {
                float[] img = Images.read(files.get(i), spec.channels(), spec.height(), spec.width()).hostFloats();
                System.arraycopy(img, 0, x, i * per, per);
            } catch (IOException | IllegalArgumentException e) {
                throw new Main.UsageError("--input " + files.get(i) + ": " + e.getMessage());
            }
        }
        if (spec.kind().signedInputs()) for (int i = 0; i < x.length; i++) x[i] = 2 * x[i] - 1;
        return Tensor.of(x, spec.batchShape(files.size()));
    }

    /** Writes image {@code i} of {@code images} (model range, any batch shape) as a PNG. */
    static void writeImage(Path png, float[] images, int i, ModelSpec spec) throws IOException {
        int per = spec.channels() * spec.height() * spec.width();
        float[] img = new float[per];
        for (int j = 0; j < per; j++) {
            float v = images[i * per + j];
            img[j] = spec.kind().signedInputs() ? (v + 1) / 2 : v;
        }
        Images.write(png, Tensor.of(img, spec.channels(), spec.height(), spec.width()));
    }

    static void requireQuantized(ModelSpec spec, String command) {
        if (!spec.kind().quantized()) {
            throw new Main.UsageError(command + " needs a VQ model (vqvae or mlp-vqvae); this checkpoint is a " + spec.kind());
        }
    }
}
