package io.vq4j.cli;

import java.util.List;

/** The cuDNN and cuBLAS lines of {@code vq4j info} (filled in once the FFM bindings land). */
final class NativeLibraries {
    private NativeLibraries() {}

    static List<String> describe() {
        return List.of();
    }
}
