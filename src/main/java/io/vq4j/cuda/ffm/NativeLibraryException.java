package io.vq4j.cuda.ffm;

/**
 * A cuBLAS or cuDNN call that did not return success, e.g.
 * {@code cudnnSetTensor4dDescriptor(NCHW, FLOAT, -1x3x9x9): CUDNN_STATUS_BAD_PARAM (cuDNN status 2000)}.
 * Unchecked, like {@link io.vq4j.cuda.CudaException}: a caller cannot do anything useful at
 * each call site, and the handle stays usable after recoverable errors.
 */
public class NativeLibraryException extends RuntimeException {
    private final String library;
    private final String call;
    private final int code;
    private final String errorString;

    /**
     * @param library "cuBLAS" or "cuDNN"
     * @param call the function, optionally with its arguments: {@code name} or {@code name(args)}
     * @param code the raw status
     * @param errorString the library's own text for the status (cublasGetStatusString,
     *        cudnnGetErrorString), or null if it could not be had
     */
    public NativeLibraryException(String library, String call, int code, String errorString) {
        super(call + ": " + (errorString == null || errorString.isBlank() ? "unknown status" : errorString)
                + " (" + library + " status " + code + ")");
        this.library = library;
        this.call = call;
        this.code = code;
        this.errorString = errorString;
    }

    public String library() { return library; }

    /** The call as shown in the message, e.g. {@code cublasSgemm_v2(N, T, m=13, n=1, k=207)}. */
    public String call() { return call; }

    /** The bare function name, e.g. {@code cublasSgemm_v2}. */
    public String function() {
        int paren = call.indexOf('(');
        return paren < 0 ? call : call.substring(0, paren);
    }

    /** The raw status code (cublasStatus_t or cudnnStatus_t). */
    public int code() { return code; }

    /** The library's own text for the status, or null. */
    public String errorString() { return errorString; }
}
