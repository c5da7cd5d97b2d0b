package io.vq4j.cuda.ffm;

import java.lang.foreign.MemorySegment;
import java.util.function.Supplier;

/** The one place where a cuDNN status other than CUDNN_STATUS_SUCCESS becomes an exception. */
final class CudnnCheck {
    private CudnnCheck() {}

    static final int CUDNN_STATUS_SUCCESS = 0;

    /** Runs {@code body} (a downcall returning cudnnStatus_t) and checks its status. */
    static void call(String call, NativeCall body) {
        check(invoke(body), call);
    }

    /** Same, with the call's description (arguments, shapes) built only on failure. */
    static void call(Supplier<String> call, NativeCall body) {
        int status = invoke(body);
        if (status != CUDNN_STATUS_SUCCESS) throw failure(status, call.get());
    }

    /** Runs {@code body} and returns its status unchecked, for probes whose failure is an answer. */
    static int invoke(NativeCall body) {
        try {
            return body.invoke();
        } catch (Throwable t) {
            throw NativeLibrary.rethrow(t);
        }
    }

    static void check(int status, String call) {
        if (status != CUDNN_STATUS_SUCCESS) throw failure(status, call);
    }

    /** The exception for {@code status}, with cuDNN's own text for it when that can be had. */
    static NativeLibraryException failure(int status, String call) {
        return new NativeLibraryException("cuDNN", call, status, errorString(status));
    }

    private static String errorString(int status) {
        try {
            return CString.read((MemorySegment) CudnnFunctions.cudnnGetErrorString.invokeExact(status));
        } catch (Throwable t) { // library missing: the code alone still identifies the status
            return null;
        }
    }
}
