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
 * The device's current memory pool, the one {@code cuMemAllocAsync} (so every {@link DeviceBuffer})
 * allocates from: its release threshold and usage counters. Called through FFM on libcuda because
 * JCuda 12.6 does not wrap {@code cuDeviceGetMemPool} / {@code cuMemPool{Get,Set}Attribute}.
 *
 * <p>Why it matters: as shipped the pool's release threshold is 0, so every synchronisation hands
 * freed memory back to the OS and the next allocation maps it again. {@link #keepMemory} makes the
 * pool keep what it has (as PyTorch's caching allocator does), so steady-state work allocates
 * from the pool without touching the OS. The setting is per device and process-wide.
 */
public final class MemoryPool {
    /** CUmemPool_attribute values (cuda.h). */
    static final int RELEASE_THRESHOLD = 4, RESERVED_MEM_CURRENT = 5, USED_MEM_CURRENT = 7, USED_MEM_HIGH = 8;

    private final MemorySegment pool;

    private MemoryPool(MemorySegment pool) { this.pool = pool; }

    /** The current pool of {@code context}'s device. */
    public static MemoryPool of(CudaContext context) {
        context.bind();
        return ofDevice(context.ordinal());
    }

    /** The current pool of device {@code ordinal} (the driver must be initialised: {@link Cuda#runtime()}). */
    public static MemoryPool ofDevice(int ordinal) {
        Calls c = Calls.get();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dev = arena.allocate(JAVA_INT);
            CudaCheck.check((int) c.deviceGet.invokeExact(dev, ordinal), "cuDeviceGet(" + ordinal + ")");
            MemorySegment out = arena.allocate(ADDRESS);
            CudaCheck.check((int) c.getPool.invokeExact(out, dev.get(JAVA_INT, 0)), "cuDeviceGetMemPool");
            return new MemoryPool(out.get(ADDRESS, 0));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("libcuda call failed: " + t, t);
        }
    }

    /** Sets the release threshold of {@code context}'s pool to "keep everything" and returns the pool. */
    public static MemoryPool keepMemory(CudaContext context) {
        MemoryPool p = of(context);
        p.setReleaseThreshold(-1L);
        return p;
    }

    /** Bytes of the pool in use by allocations now. */
    public long usedCurrent() { return get(USED_MEM_CURRENT); }

    /** The most bytes of the pool in use at once since {@link #resetHigh()}. */
    public long usedHigh() { return get(USED_MEM_HIGH); }

    /** Bytes the pool holds from the OS now (in use or kept for reuse). */
    public long reservedCurrent() { return get(RESERVED_MEM_CURRENT); }

    /** Restarts the high-water mark (the driver only accepts 0). */
    public void resetHigh() { set(USED_MEM_HIGH, 0L); }

    /**
     * Bytes of freed memory the pool keeps instead of returning them to the OS at the next
     * synchronisation (default 0). Unsigned; -1 is "keep everything".
     */
    public long releaseThreshold() { return get(RELEASE_THRESHOLD); }

    public void setReleaseThreshold(long bytes) { set(RELEASE_THRESHOLD, bytes); }

    private void set(int attribute, long value) {
        Calls c = Calls.get();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocateFrom(JAVA_LONG, value);
            CudaCheck.check((int) c.setAttribute.invokeExact(pool, attribute, v), "cuMemPoolSetAttribute(" + attribute + ")");
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cuMemPoolSetAttribute failed: " + t, t);
        }
    }

    private long get(int attribute) {
        Calls c = Calls.get();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(JAVA_LONG);
            CudaCheck.check((int) c.getAttribute.invokeExact(pool, attribute, v), "cuMemPoolGetAttribute(" + attribute + ")");
            return v.get(JAVA_LONG, 0);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cuMemPoolGetAttribute failed: " + t, t);
        }
    }

    /** The downcall handles, looked up once on first use (never on machines that do not ask). */
    private record Calls(MethodHandle deviceGet, MethodHandle getPool, MethodHandle getAttribute, MethodHandle setAttribute) {
        private static volatile Calls calls;

        static Calls get() {
            Calls c = calls;
            if (c == null) calls = c = lookup(); // racing lookups build equal handles: harmless
            return c;
        }

        @SuppressWarnings("restricted") // a native library lookup: run with --enable-native-access=ALL-UNNAMED
        private static Calls lookup() {
            Linker linker = Linker.nativeLinker();
            SymbolLookup cuda;
            try {
                cuda = SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("no NVIDIA driver: libcuda.so.1 was not found by the dynamic loader", e);
            }
            FunctionDescriptor attr = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS);
            return new Calls(
                    handle(linker, cuda, "cuDeviceGet", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT)),
                    handle(linker, cuda, "cuDeviceGetMemPool", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT)),
                    handle(linker, cuda, "cuMemPoolGetAttribute", attr),
                    handle(linker, cuda, "cuMemPoolSetAttribute", attr));
        }

        @SuppressWarnings("restricted") // a downcall into libcuda
        private static MethodHandle handle(Linker linker, SymbolLookup lib, String name, FunctionDescriptor fd) {
            MemorySegment sym = lib.find(name).orElseThrow(() -> new IllegalStateException("libcuda has no " + name));
            return linker.downcallHandle(sym, fd);
        }
    }
}
