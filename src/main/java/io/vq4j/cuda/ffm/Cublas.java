package io.vq4j.cuda.ffm;

/**
 * Whether cuBLAS can be called here (and if not, why), like {@link io.vq4j.cuda.Cuda}: the
 * library is looked for once, on first use (see {@link NativeLibraryFinder} for where).
 * Work goes through a {@link CublasHandle}.
 */
public final class Cublas {
    private Cublas() {}

    /** True when a cuBLAS library was found and exports every function vq4j uses. */
    public static boolean isAvailable() {
        return CublasFunctions.LIBRARY.isAvailable();
    }

    /** Why cuBLAS cannot be used: every place tried and why each failed (null when it can). */
    public static String unavailableReason() {
        return CublasFunctions.LIBRARY.unavailableReason();
    }

    /** Where cuBLAS was loaded from, e.g. {@code libcublas.so.13 (dynamic loader)}; null if not. */
    public static String location() {
        return CublasFunctions.LIBRARY.location();
    }

    /** Throws {@link IllegalStateException} with the reason unless cuBLAS is usable. */
    public static void requireAvailable() {
        CublasFunctions.LIBRARY.require();
    }

    /** {@code cublasGetVersion}'s integer (major*10000 + minor*100 + patch) as "13.1.0". */
    public static String versionString(int version) {
        return (version / 10000) + "." + (version / 100 % 100) + "." + (version % 100);
    }
}
