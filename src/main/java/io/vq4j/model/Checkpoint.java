package io.vq4j.model;

import io.vq4j.io.SafeTensors;
import io.vq4j.io.SafeTensorsFile;
import io.vq4j.nn.Backend;
import io.vq4j.ops.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Model checkpoints as safetensors files: tensor names are the PyTorch state_dict keys of the same
 * model (benchmarks/pytorch/models.py), and the metadata holds the {@link ModelSpec}, so a file
 * loads in Python's safetensors / PyTorch ({@code model.load_state_dict(load_file(path))}) and
 * back. Writes are atomic (temp file, then rename). Loading validates the whole file and every
 * name and shape before the model takes any of it: never a half-loaded model.
 */
public final class Checkpoint {
    private Checkpoint() {}

    /** A model loaded from a file, with the spec it was built from. The caller closes the model. */
    public record Loaded(ModelSpec spec, Autoencoder model) {}

    /** Writes {@code model}'s state with {@code spec} in the metadata, atomically. */
    public static void save(Path file, ModelSpec spec, Autoencoder model) throws IOException {
        Map<String, Tensor> state = model.stateDict();
        SafeTensors.write(file, state, spec.toMetadata());
    }

    /** Reads {@code file}, builds its model on {@code backend} and loads the weights into it. */
    public static Loaded load(Path file, Backend backend) throws IOException {
        return load(file, backend, null);
    }

    /**
     * As {@link #load(Path, Backend)}; a file without vq4j's metadata (a PyTorch
     * {@code save_file(model.state_dict())} of the same model) is read as {@code ifNoMetadata}'s
     * model, with every name and shape checked as usual. PyTorch's int64 counters are read as int32.
     */
    public static Loaded load(Path file, Backend backend, ModelSpec ifNoMetadata) throws IOException {
        SafeTensorsFile f = SafeTensors.read(file);
        String where = file.getFileName().toString();
        ModelSpec spec = ifNoMetadata != null && !f.metadata().containsKey("vq4j.model") ? ifNoMetadata
                : ModelSpec.fromMetadata(f.metadata(), where);
        Autoencoder model = spec.build(backend);
        try {
            model.loadStateDict(f.tensors());
            return new Loaded(spec, model);
        } catch (RuntimeException e) {
            model.close(); // nothing half-made is handed out
            throw new IllegalArgumentException(file.getFileName() + ": " + e.getMessage(), e);
        }
    }
}
