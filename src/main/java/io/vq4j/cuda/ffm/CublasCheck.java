package io.vq4j.cuda.ffm;

import java.lang.foreign.MemorySegment;

/** The one place where a cuBLAS status other than CUBLAS_STATUS_SUCCESS becomes an exception. */
final class CublasCheck {
    private CublasCheck() {}

    static final int CUBLAS_STATUS_SUCCESS = 0;

    /** Runs {@code body} (a downcall returning cublasStatus_t) and checks its status. */
    static void call(String call, NativeCall body) {
        int status;
        try {
            status = body.invoke();
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
        check(status, call);
    }

    static void check(int status, String call) {
        if (status != CUBLAS_STATUS_SUCCESS) throw failure(status, call);
    }

    /** The exception for {@code status}, with cuBLAS's own text for it when that can be had. */
    static NativeLibraryException failure(int status, String call) {
        return new NativeLibraryException("cuBLAS", call, status, statusString(status));
    }

    private static String statusString(int status) {
        try {
            return CString.read((MemorySegment) CublasFunctions.cublasGetStatusString.invokeExact(status));
        } catch (Throwable t) { // library missing: the code alone still identifies the status
            return null;
        }
    }
}
