package io.vq4j.bench;

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
 * The usage counters of the device's current memory pool, the pool {@code cuMemAllocAsync} (so
 * every vq4j DeviceBuffer) allocates from: bytes in use now and the high-water mark since the last
 * reset. Called through FFM on libcuda because JCuda 12.6 does not wrap
 * {@code cuDeviceGetMemPool} / {@code cuMemPoolGetAttribute}.
 */
final class MemPool {
    /** CUmemPool_attribute values (cuda.h). */
    static final int RELEASE_THRESHOLD = 4, USED_MEM_CURRENT = 7, USED_MEM_HIGH = 8;

    private final MethodHandle getAttribute, setAttribute;
    private final MemorySegment pool;

    private MemPool(MethodHandle getAttribute, MethodHandle setAttribute, MemorySegment pool) {
        this.getAttribute = getAttribute;
        this.setAttribute = setAttribute;
        this.pool = pool;
    }

    /** The current pool of device {@code ordinal}; throws IllegalStateException when libcuda says no. */
    @SuppressWarnings("restricted") // a native library lookup: run with --enable-native-access=ALL-UNNAMED
    static MemPool ofDevice(int ordinal) {
        Linker linker = Linker.nativeLinker();
        SymbolLookup cuda = SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
        MethodHandle deviceGet = handle(linker, cuda, "cuDeviceGet", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        MethodHandle getPool = handle(linker, cuda, "cuDeviceGetMemPool", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        FunctionDescriptor attr = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS);
        MethodHandle get = handle(linker, cuda, "cuMemPoolGetAttribute", attr);
        MethodHandle set = handle(linker, cuda, "cuMemPoolSetAttribute", attr);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dev = arena.allocate(JAVA_INT);
            check((int) deviceGet.invokeExact(dev, ordinal), "cuDeviceGet");
            MemorySegment out = arena.allocate(ADDRESS);
            check((int) getPool.invokeExact(out, dev.get(JAVA_INT, 0)), "cuDeviceGetMemPool");
            return new MemPool(get, set, out.get(ADDRESS, 0));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("libcuda call failed: " + t, t);
        }
    }

    /** Bytes of the pool in use by allocations now. */
    long usedCurrent() { return get(USED_MEM_CURRENT); }

    /** The most bytes of the pool in use at once since {@link #resetHigh()}. */
    long usedHigh() { return get(USED_MEM_HIGH); }

    /** Restarts the high-water mark (the driver only accepts 0). */
    void resetHigh() { set(USED_MEM_HIGH, 0L); }

    /**
     * Bytes of freed memory the pool keeps instead of returning them to the OS at the next
     * synchronisation (default 0: it returns everything, and the next allocation maps it again).
     * Unsigned; -1 is "keep everything", as PyTorch's caching allocator does.
     */
    long releaseThreshold() { return get(RELEASE_THRESHOLD); }

    void setReleaseThreshold(long bytes) { set(RELEASE_THRESHOLD, bytes); }

    private void set(int attribute, long value) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocateFrom(JAVA_LONG, value);
            check((int) setAttribute.invokeExact(pool, attribute, v), "cuMemPoolSetAttribute(" + attribute + ")");
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cuMemPoolSetAttribute failed: " + t, t);
        }
    }

    private long get(int attribute) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(JAVA_LONG);
            check((int) getAttribute.invokeExact(pool, attribute, v), "cuMemPoolGetAttribute(" + attribute + ")");
            return v.get(JAVA_LONG, 0);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cuMemPoolGetAttribute failed: " + t, t);
        }
    }

    @SuppressWarnings("restricted") // a downcall into libcuda
    private static MethodHandle handle(Linker linker, SymbolLookup lib, String name, FunctionDescriptor fd) {
        MemorySegment sym = lib.find(name).orElseThrow(() -> new IllegalStateException("libcuda has no " + name));
        return linker.downcallHandle(sym, fd);
    }

    private static void check(int status, String what) {
        if (status != 0) throw new IllegalStateException(what + " returned CUresult " + status);
    }
}
