package io.vq4j.cuda.ffm;

/**
 * Whether cuDNN can be called here (and if not, why), like {@link io.vq4j.cuda.Cuda}: the
 * library is looked for once, on first use (see {@link NativeLibraryFinder} for where).
 * Work goes through a {@link CudnnHandle} and the descriptors.
 */
public final class Cudnn {
    private Cudnn() {}

    /** True when a cuDNN library was found and exports every function vq4j uses. */
    public static boolean isAvailable() {
        return CudnnFunctions.LIBRARY.isAvailable();
    }

    /** Why cuDNN cannot be used: every place tried and why each failed (null when it can). */
    public static String unavailableReason() {
        return CudnnFunctions.LIBRARY.unavailableReason();
    }

    /** Where cuDNN was loaded from, e.g. {@code libcudnn.so.9 (dynamic loader)}; null if not. */
    public static String location() {
        return CudnnFunctions.LIBRARY.location();
    }

    /** Throws {@link IllegalStateException} with the reason unless cuDNN is usable. */
    public static void requireAvailable() {
        CudnnFunctions.LIBRARY.require();
    }

    /** {@code cudnnGetVersion()}, e.g. 91400 for 9.14.0 (needs no handle and no GPU). */
    public static long version() {
        requireAvailable();
        try {
            return (long) CudnnFunctions.cudnnGetVersion.invokeExact();
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
    }

    /** The version as "9.14.0". */
    public static String versionString() {
        return versionString(version());
    }

    /**
     * {@code cudnnGetVersion}'s integer as a string: cuDNN 9 encodes major*10000 + minor*100 +
     * patch (91400 is 9.14.0); cuDNN 8 and older encoded major*1000 + minor*100 + patch (8907 is 8.9.7).
     */
    public static String versionString(long version) {
        if (version < 10000) return (version / 1000) + "." + (version / 100 % 10) + "." + (version % 100);
        return (version / 10000) + "." + (version / 100 % 100) + "." + (version % 100);
    }
}
