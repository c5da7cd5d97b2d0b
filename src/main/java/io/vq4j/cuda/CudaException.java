package io.vq4j.cuda;

/**
 * A CUDA driver call that did not return CUDA_SUCCESS, e.g.
 * {@code cuMemAlloc(1073741824 bytes): CUDA_ERROR_OUT_OF_MEMORY}.
 * Unchecked: callers cannot do anything useful at each call site, and the process stays usable
 * after recoverable errors such as out-of-memory.
 */
public class CudaException extends RuntimeException {
    private final String call;
    private final String errorName;
    private final int code;

    public CudaException(String call, String errorName, int code) {
        super(call + ": " + errorName);
        this.call = call;
        this.errorName = errorName;
        this.code = code;
    }

    /** The call and its arguments as shown in the message, e.g. {@code cuMemAlloc(1024 bytes)}. */
    public String call() { return call; }

    /** The driver's name for the error, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}. */
    public String errorName() { return errorName; }

    /** The raw CUresult code. */
    public int code() { return code; }

    public boolean isOutOfMemory() { return code == jcuda.driver.CUresult.CUDA_ERROR_OUT_OF_MEMORY; }
}
