package io.vq4j.cuda.ffm;

import io.vq4j.cuda.CudaStream;

/**
 * The versions of the NVIDIA libraries vq4j calls through FFM, as "13.1.0" and "9.14.0", or
 * "unavailable (...)" with the first line of the reason, for {@code vq4j info} and test logs.
 */
public record NativeVersions(String cublas, String cudnn) {

    /** Asks each library; cuBLAS needs a handle, so a short-lived one is made on {@code stream}. */
    public static NativeVersions of(CudaStream stream) {
        String cublas;
        if (Cublas.isAvailable()) {
            try (CublasHandle h = new CublasHandle(stream)) {
                cublas = h.versionString();
            }
        } else {
            cublas = "unavailable (" + firstLine(Cublas.unavailableReason()) + ")";
        }
        String cudnn = Cudnn.isAvailable() ? Cudnn.versionString()
                : "unavailable (" + firstLine(Cudnn.unavailableReason()) + ")";
        return new NativeVersions(cublas, cudnn);
    }

    private static String firstLine(String s) {
        if (s == null) return "unknown reason";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    @Override
    public String toString() {
        return "cuBLAS " + cublas + ", cuDNN " + cudnn;
    }
}
