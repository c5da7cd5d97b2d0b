package io.vq4j.cuda.ffm;

import java.util.List;

/**
 * How to find one NVIDIA library: its name for messages, the system property and environment
 * variable that may name an explicit file, the sonames the dynamic loader is asked for (in order
 * of preference), and one symbol every good copy exports, so that a wrong file named by mistake
 * is passed over with a reason instead of failing later.
 */
public record LibrarySpec(String displayName, String property, String envVar, List<String> sonames, String probeSymbol) {

    /** cuBLAS: libcublas.so.13 (CUDA 13) first; libcublas.so.12 still has every function we use. */
    public static final LibrarySpec CUBLAS = new LibrarySpec("cuBLAS", "vq4j.cublas", "VQ4J_CUBLAS",
            List.of("libcublas.so.13", "libcublas.so.12"), "cublasCreate_v2");

    /** cuDNN 9: libcudnn.so.9 is the shim that exports the legacy API and loads the sub-libraries. */
    public static final LibrarySpec CUDNN = new LibrarySpec("cuDNN", "vq4j.cudnn", "VQ4J_CUDNN",
            List.of("libcudnn.so.9"), "cudnnCreate");

    public LibrarySpec {
        if (sonames.isEmpty()) throw new IllegalArgumentException("sonames must not be empty for " + displayName);
        sonames = List.copyOf(sonames);
    }
}
