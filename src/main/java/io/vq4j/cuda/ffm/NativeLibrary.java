package io.vq4j.cuda.ffm;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One NVIDIA library as the bindings see it: loaded (with where from) or not (with why), and a
 * binder for downcall handles that never throws. A function that cannot be bound (library
 * missing, symbol missing, native access denied) gets a handle of the same type that throws an
 * {@link IllegalStateException} with the reason when called, so the {@code static final}
 * handle fields of {@link CublasFunctions} and {@link CudnnFunctions} always initialise: a
 * missing library is an explained exception at first use, never an ExceptionInInitializerError.
 *
 * <p>Built during the static initialisation of its functions class (which publishes it safely);
 * not modified afterwards.
 */
final class NativeLibrary {
    private static final MethodHandle FAIL;

    static {
        try {
            FAIL = MethodHandles.lookup().findStatic(NativeLibrary.class, "fail",
                    MethodType.methodType(Object.class, String.class));
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private final LibrarySpec spec;
    private final SymbolLookup lookup;     // null when not found
    private final String location;         // where it was found, or null
    private final String notFound;         // why it was not found, or null
    private final List<String> problems = new ArrayList<>(); // symbols that could not be bound

    private NativeLibrary(LibrarySpec spec, SymbolLookup lookup, String location, String notFound) {
        this.spec = spec;
        this.lookup = lookup;
        this.location = location;
        this.notFound = notFound;
    }

    /** Finds and loads {@code spec}; never throws (a failure is kept as the reason). */
    static NativeLibrary load(LibrarySpec spec) {
        try {
            NativeLibraryFinder.Found f = NativeLibraryFinder.find(spec);
            return new NativeLibrary(spec, f.lookup(), f.where().toString(), null);
        } catch (Throwable t) {
            String m = t.getMessage();
            return new NativeLibrary(spec, null, null, m == null ? t.toString() : m);
        }
    }

    /** A library known to be missing (tests). */
    static NativeLibrary missing(LibrarySpec spec, String reason) {
        return new NativeLibrary(spec, null, null, reason);
    }

    /**
     * A downcall handle for {@code name}, or, when it cannot be bound, a handle of the same type
     * that throws the reason. The failure is recorded, so {@link #isAvailable()} stays truthful.
     */
    @SuppressWarnings("restricted")
    MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        String why;
        if (lookup == null) {
            why = spec.displayName() + " is not available: " + notFound;
        } else {
            Optional<MemorySegment> symbol = lookup.find(name);
            if (symbol.isPresent()) {
                try {
                    return Linker.nativeLinker().downcallHandle(symbol.get(), descriptor);
                } catch (RuntimeException e) { // e.g. IllegalCallerException: native access denied
                    why = "cannot bind " + name + " from " + spec.displayName() + " at " + location + ": " + e;
                }
            } else {
                why = spec.displayName() + " at " + location + " has no symbol " + name
                        + " (too old a version?)";
            }
            problems.add(why);
        }
        MethodType type = descriptor.toMethodType();
        MethodHandle thrower = MethodHandles.insertArguments(FAIL, 0, why)
                .asType(MethodType.methodType(type.returnType()));
        return MethodHandles.dropArguments(thrower, 0, type.parameterList());
    }

    @SuppressWarnings("unused") // bound reflectively as the body of unbindable functions
    private static Object fail(String why) {
        throw new IllegalStateException(why);
    }

    boolean isAvailable() {
        return lookup != null && problems.isEmpty();
    }

    /** Why the library cannot be used (null when it can). */
    String unavailableReason() {
        if (lookup == null) return notFound;
        if (problems.isEmpty()) return null;
        return String.join("; ", problems);
    }

    /** Where the library was loaded from (null when it was not). */
    String location() {
        return location;
    }

    /** Throws {@link IllegalStateException} with the reason unless the library is usable. */
    void require() {
        if (!isAvailable()) {
            throw new IllegalStateException(spec.displayName() + " is not available: " + unavailableReason());
        }
    }

    /** A Throwable from {@code invokeExact} as an unchecked exception (downcalls throw no checked ones). */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
