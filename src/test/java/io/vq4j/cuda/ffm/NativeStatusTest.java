package io.vq4j.cuda.ffm;

import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Status codes become exceptions in one place per library, carrying the function, the library's text and the code. */
class NativeStatusTest {

    @Test
    void exceptionMessageNamesCallTextLibraryAndCode() {
        NativeLibraryException e = new NativeLibraryException("cuDNN",
                "cudnnSetTensor4dDescriptor(NCHW, FLOAT, -1x3x9x9)", 2000, "CUDNN_STATUS_BAD_PARAM");
        assertEquals("cudnnSetTensor4dDescriptor(NCHW, FLOAT, -1x3x9x9): CUDNN_STATUS_BAD_PARAM (cuDNN status 2000)",
                e.getMessage());
        assertEquals("cudnnSetTensor4dDescriptor", e.function());
        assertEquals("cudnnSetTensor4dDescriptor(NCHW, FLOAT, -1x3x9x9)", e.call());
        assertEquals("cuDNN", e.library());
        assertEquals(2000, e.code());
        assertEquals("CUDNN_STATUS_BAD_PARAM", e.errorString());

        NativeLibraryException bare = new NativeLibraryException("cuBLAS", "cublasSgemm_v2", 7, null);
        assertEquals("cublasSgemm_v2: unknown status (cuBLAS status 7)", bare.getMessage());
        assertEquals("cublasSgemm_v2", bare.function());
        assertNull(bare.errorString());
    }

    @Test
    void successPassesAndFailureThrowsWithTheFunction() {
        assertDoesNotThrow(() -> CudnnCheck.check(0, "cudnnCreate"));
        assertDoesNotThrow(() -> CublasCheck.check(0, "cublasCreate_v2"));

        NativeLibraryException d = assertThrows(NativeLibraryException.class,
                () -> CudnnCheck.check(2000, "cudnnAddTensor(a=1x4x1x1, c=2x4x5x5)"));
        assertEquals("cuDNN", d.library());
        assertEquals("cudnnAddTensor", d.function());
        assertEquals(2000, d.code());
        // with cuDNN loaded the text is cuDNN's own; without, the code still identifies the status
        if (Cudnn.isAvailable()) assertTrue(d.errorString().startsWith("CUDNN_STATUS_BAD_PARAM"), d.getMessage());
        else assertTrue(d.getMessage().endsWith("unknown status (cuDNN status 2000)"), d.getMessage());

        NativeLibraryException b = assertThrows(NativeLibraryException.class, () -> CublasCheck.check(7, "cublasSgemm_v2"));
        assertEquals("cuBLAS", b.library());
        assertEquals(7, b.code());
        assertTrue(b.getMessage().startsWith("cublasSgemm_v2: ") && b.getMessage().endsWith("(cuBLAS status 7)"), b.getMessage());
    }

    @Test
    void callRunsTheBodyAndChecksItsStatus() {
        assertDoesNotThrow(() -> CudnnCheck.call("cudnnX", () -> 0));
        NativeLibraryException e = assertThrows(NativeLibraryException.class,
                () -> CudnnCheck.call(() -> "cudnnX(built lazily)", () -> 3000));
        assertEquals("cudnnX(built lazily)", e.call());
        assertEquals(3000, e.code());
        assertThrows(NativeLibraryException.class, () -> CublasCheck.call("cublasX", () -> 13));

        // unchecked throwables pass through untouched; checked ones are wrapped (downcalls throw none)
        IllegalStateException ise = new IllegalStateException("library missing");
        assertSame(ise, assertThrows(IllegalStateException.class, () -> CublasCheck.call("cublasX", () -> { throw ise; })));
        IllegalStateException wrapped = assertThrows(IllegalStateException.class,
                () -> CudnnCheck.call("cudnnX", () -> { throw new IOException("odd"); }));
        assertTrue(wrapped.getCause() instanceof IOException);
        assertEquals(5, CudnnCheck.invoke(() -> 5)); // probes see the raw status
    }

    @Test
    void versionStrings() {
        assertEquals("13.1.0", Cublas.versionString(130100));
        assertEquals("12.8.4", Cublas.versionString(120804));
        assertEquals("9.14.0", Cudnn.versionString(91400));
        assertEquals("9.1.1", Cudnn.versionString(90101));
        assertEquals("8.9.7", Cudnn.versionString(8907));
    }
}
