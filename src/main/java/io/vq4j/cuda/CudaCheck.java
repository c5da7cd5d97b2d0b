package io.vq4j.cuda;

import jcuda.driver.CUresult;

import java.util.function.Supplier;

/** The one place where a CUresult that is not CUDA_SUCCESS becomes a {@link CudaException}. */
public final class CudaCheck {
    private CudaCheck() {}

    public static void check(int result, String call) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw new CudaException(call, CUresult.stringFor(result), result);
        }
    }

    /** Same, with the call description built only on failure (for hot paths that format arguments). */
    public static void check(int result, Supplier<String> call) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw new CudaException(call.get(), CUresult.stringFor(result), result);
        }
    }
}
