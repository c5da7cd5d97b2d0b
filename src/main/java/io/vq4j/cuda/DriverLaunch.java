package io.vq4j.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code cuLaunchKernel} called through FFM on libcuda, the launch path of {@link KernelLaunch}.
 *
 * <p>Why not JCuda's: its JNI wrapper walks the Java array of argument pointers with JNI calls and
 * pins each argument's array, several microseconds a launch. A training step launches hundreds of
 * kernels and the small ops are one or two kernels of a few microseconds, so that cost showed up
 * directly in their times (benchmarks/RESULTS.md, "launch overhead"). Here the arguments are
 * packed as 8-byte slots in one confined arena with an array of pointers to them, and the downcall
 * costs tens of nanoseconds. {@code -Dvq4j.cuda.launch=jcuda} goes back to JCuda's wrapper.
 *
 * <p>A kernel reads an int or float argument from the low 4 bytes of its slot, which on the
 * little-endian hosts CUDA supports (x86-64, aarch64) is the value itself.
 */
final class DriverLaunch {
    private DriverLaunch() {}

    /** Whether launches go through FFM (the default) or JCuda ({@code -Dvq4j.cuda.launch=jcuda}). */
    static final boolean FFM = !"jcuda".equalsIgnoreCase(System.getProperty("vq4j.cuda.launch", "ffm"));

    /**
     * Launches {@code function} with {@code count} argument slots; returns the CUresult.
     * The driver copies the arguments during the call, so the arena may close right after.
     */
    static int launch(long function, int gx, int gy, int gz, int bx, int by, int bz, int sharedBytes, long stream,
                      long[] slots, int count) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment values = arena.allocate(JAVA_LONG, Math.max(1, count));
            MemorySegment pointers = arena.allocate(ADDRESS, Math.max(1, count));
            for (int i = 0; i < count; i++) {
                values.setAtIndex(JAVA_LONG, i, slots[i]);
                pointers.setAtIndex(ADDRESS, i, values.asSlice(8L * i, 8));
            }
            return (int) Handle.LAUNCH.invokeExact(MemorySegment.ofAddress(function), gx, gy, gz, bx, by, bz, sharedBytes,
                    MemorySegment.ofAddress(stream), pointers, MemorySegment.NULL);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cuLaunchKernel through FFM failed: " + t, t);
        }
    }

    /** Looked up on the first launch, never on machines without a GPU. */
    private static final class Handle {
        static final MethodHandle LAUNCH = lookup();

        @SuppressWarnings("restricted") // a downcall into libcuda: run with --enable-native-access=ALL-UNNAMED
        private static MethodHandle lookup() {
            SymbolLookup cuda = SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
            MemorySegment sym = cuda.find("cuLaunchKernel")
                    .orElseThrow(() -> new IllegalStateException("libcuda has no cuLaunchKernel"));
            // CUresult cuLaunchKernel(CUfunction f, unsigned gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY,
            //                         blockDimZ, unsigned sharedMemBytes, CUstream s, void** params, void** extra)
            return Linker.nativeLinker().downcallHandle(sym, FunctionDescriptor.of(JAVA_INT, ADDRESS,
                    JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        }
    }
}
