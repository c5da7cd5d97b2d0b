package io.vq4j.cli;

import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.ffm.Cublas;
import io.vq4j.cuda.ffm.Cudnn;
import io.vq4j.cuda.ffm.NativeVersions;

import java.util.List;

/** The cuDNN and cuBLAS lines of {@code vq4j info}: version and where each was found, or why not. */
final class NativeLibraries {
    private NativeLibraries() {}

    static List<String> describe() {
        if (!Cuda.isAvailable()) {
            return List.of("cuBLAS:   not looked for (no GPU)", "cuDNN:    not looked for (no GPU)");
        }
        NativeVersions v = NativeVersions.of(Cuda.runtime().stream());
        return List.of("cuBLAS:   " + v.cublas() + (Cublas.isAvailable() ? " from " + Cublas.location() : ""),
                "cuDNN:    " + v.cudnn() + (Cudnn.isAvailable() ? " from " + Cudnn.location() : ""));
    }
}
