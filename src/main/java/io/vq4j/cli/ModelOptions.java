package io.vq4j.cli;

import io.vq4j.model.Checkpoint;
import io.vq4j.nn.Backend;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options every command that reads a checkpoint shares (a picocli mixin). */
final class ModelOptions {
    @Option(names = "--model", required = true,
            description = "a checkpoint written by train (or a PyTorch state_dict, with --pytorch-model)")
    Path model;

    @ArgGroup(exclusive = false)
    ModelFiles.PyTorchModel pytorch;

    @Option(names = "--backend", description = "auto, cpu or cuda (default: ${DEFAULT-VALUE})", defaultValue = "auto")
    String backend;

    Backend openBackend() { return ModelFiles.backend(backend); }

    Checkpoint.Loaded load(Backend b) { return ModelFiles.load(model, b, pytorch); }
}
