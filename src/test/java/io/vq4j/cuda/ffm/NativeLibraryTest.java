package io.vq4j.cuda.ffm;

import org.junit.jupiter.api.Test;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** A missing library is an explained exception at first use, never an ExceptionInInitializerError. */
class NativeLibraryTest {

    @Test
    void unboundFunctionsHaveTheRightTypeAndThrowTheReasonWhenCalled() throws Throwable {
        NativeLibrary lib = NativeLibrary.missing(LibrarySpec.CUDNN, "tried: /nowhere (no such file)");
        MethodHandle f = lib.downcall("cudnnSomething",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_DOUBLE));
        assertEquals(MethodType.methodType(int.class, MemorySegment.class, int.class, long.class, double.class), f.type());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> { int ignored = (int) f.invokeExact(MemorySegment.NULL, 1, 2L, 3.0); });
        assertEquals("cuDNN is not available: tried: /nowhere (no such file)", e.getMessage());

        MethodHandle g = lib.downcall("cudnnGetErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        assertThrows(IllegalStateException.class, () -> { MemorySegment ignored = (MemorySegment) g.invokeExact(2000); });

        assertFalse(lib.isAvailable());
        assertNull(lib.location());
        assertEquals("tried: /nowhere (no such file)", lib.unavailableReason());
        IllegalStateException r = assertThrows(IllegalStateException.class, lib::require);
        assertEquals("cuDNN is not available: tried: /nowhere (no such file)", r.getMessage());
    }

    @Test
    void availabilityQueriesNeverThrow_andAMissingLibrarySaysWhereItLooked() {
        // On the GPU machine both libraries load; here neither does. Either way nothing may throw.
        boolean cublas = Cublas.isAvailable(), cudnn = Cudnn.isAvailable();
        if (cublas) {
            assertNull(Cublas.unavailableReason());
            assertNotNull(Cublas.location());
        } else {
            String why = Cublas.unavailableReason();
            assertTrue(why.contains("libcublas.so.13 (dynamic loader)") && why.contains("libcublas.so.12"), why);
            assertTrue(why.contains("/usr/local/cuda/lib64/libcublas.so.13"), why);
            IllegalStateException e = assertThrows(IllegalStateException.class, Cublas::requireAvailable);
            assertTrue(e.getMessage().startsWith("cuBLAS is not available: cuBLAS could not be loaded"), e.getMessage());
        }
        if (cudnn) {
            assertNull(Cudnn.unavailableReason());
        } else {
            String why = Cudnn.unavailableReason();
            assertTrue(why.contains("libcudnn.so.9 (dynamic loader)"), why);
            IllegalStateException e = assertThrows(IllegalStateException.class, Cudnn::version);
            assertTrue(e.getMessage().contains("cuDNN is not available"), e.getMessage());
        }
    }

    @Test
    void descriptorsCheckTheirArgumentsBeforeTouchingTheLibrary() {
        // IllegalArgumentException naming the shape, on any machine (no cuDNN needed to reject these)
        IllegalArgumentException t = assertThrows(IllegalArgumentException.class, () -> TensorDescriptor.nchw(2, 0, 9, 9));
        assertTrue(t.getMessage().contains("TensorDescriptor.nchw") && t.getMessage().contains("2x0x9x9"), t.getMessage());
        IllegalArgumentException f = assertThrows(IllegalArgumentException.class, () -> FilterDescriptor.kcrs(4, 3, -3, 3));
        assertTrue(f.getMessage().contains("4x3x-3x3"), f.getMessage());
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> TensorDescriptor.nchw(65536, 65536, 1, 1));
        assertTrue(big.getMessage().contains("4294967296 elements"), big.getMessage());
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class,
                () -> new ConvolutionDescriptor(1, 1, 0, 1, 1, 1, CudnnMathType.FMA));
        assertTrue(c.getMessage().contains("stride=0x1"), c.getMessage());
    }

    @Test
    void withoutTheLibraryHandlesAndDescriptorsSayWhy() {
        assumeFalse(Cudnn.isAvailable(), "cuDNN is installed here");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> TensorDescriptor.nchw(1, 1, 1, 1));
        assertTrue(e.getMessage().startsWith("cuDNN is not available: cuDNN could not be loaded"), e.getMessage());
    }
}
