package io.vq4j.cuda.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Why the dynamic loader refuses a library. {@link SymbolLookup#libraryLookup} only says
 * "Cannot open library"; the useful part (a missing dependency such as libcublasLt.so.13, a wrong
 * ELF class, a missing file) is in {@code dlerror()}, so after a failure we repeat the dlopen
 * ourselves and read it. Diagnostics only: returns null where libc's dlopen is not reachable.
 */
final class DlError {
    private DlError() {}

    private static final int RTLD_LAZY = 0x1; // <dlfcn.h> on Linux; RTLD_LOCAL is 0

    private static final MethodHandle DLOPEN, DLERROR, DLCLOSE;

    static {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        DLOPEN = bind(linker, libc, "dlopen", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        DLERROR = bind(linker, libc, "dlerror", FunctionDescriptor.of(ADDRESS));
        DLCLOSE = bind(linker, libc, "dlclose", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    @SuppressWarnings("restricted")
    private static MethodHandle bind(Linker linker, SymbolLookup libc, String name, FunctionDescriptor fd) {
        try {
            Optional<MemorySegment> sym = libc.find(name);
            return sym.map(s -> linker.downcallHandle(s, fd)).orElse(null);
        } catch (RuntimeException e) { // no native access, or an unusual platform: no diagnostics
            return null;
        }
    }

    /** dlerror()'s text for loading {@code target} (a path or a soname), or null if unknown. */
    static String explain(String target) {
        if (DLOPEN == null || DLERROR == null || DLCLOSE == null) return null;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment handle = (MemorySegment) DLOPEN.invokeExact(arena.allocateFrom(target), RTLD_LAZY);
            if (!MemorySegment.NULL.equals(handle)) {
                int ignored = (int) DLCLOSE.invokeExact(handle); // loads now: nothing to explain
                return null;
            }
            return CString.read((MemorySegment) DLERROR.invokeExact());
        } catch (Throwable t) {
            return null;
        }
    }
}
