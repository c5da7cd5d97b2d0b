package io.vq4j.ops.cpu;

import java.lang.System.Logger.Level;

/**
 * Picks the {@link CpuKernels} once per JVM, the way Lucene picks its vectorization provider: the
 * Vector API implementation when the incubating module {@code jdk.incubator.vector} is in the
 * boot layer (the JVM ran with {@code --add-modules jdk.incubator.vector}) and the CPU has
 * 256-bit vectors or wider, else the portable loops. A fallback is logged once (System.Logger,
 * INFO) with its reason, so a user who wants the fast path knows which flag to pass; the library
 * works either way, with the same results. {@code -Dvq4j.vector=false} forces the portable loops.
 *
 * <p>VectorKernels is loaded by name only after the module check: a class that links against
 * jdk.incubator.vector must never be touched when the module is absent.
 */
public final class Kernels {
    private Kernels() {}

    private static final System.Logger LOG = System.getLogger(Kernels.class.getName());
    private static final String VECTOR_CLASS = "io.vq4j.ops.cpu.VectorKernels";
    private static final CpuKernels INSTANCE = select();

    /** The implementation this JVM uses. */
    public static CpuKernels get() { return INSTANCE; }

    /** The Vector API implementation if it can run here, else null (no log): for tests and benchmarks. */
    public static CpuKernels vectorOrNull() {
        return unavailableReason() == null ? load() : null;
    }

    private static CpuKernels select() {
        String why = unavailableReason();
        if (why == null) {
            CpuKernels k = load();
            if (k != null) return k;
            why = VECTOR_CLASS + " failed to load";
        }
        LOG.log(Level.INFO, "vq4j: CPU ops use the portable loops: " + why);
        return new PortableKernels();
    }

    /** Why the Vector API implementation cannot be used here, or null if it can. */
    private static String unavailableReason() {
        if ("false".equalsIgnoreCase(System.getProperty("vq4j.vector", "true"))) {
            return "-Dvq4j.vector=false";
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return "the module jdk.incubator.vector is not loaded (start java with"
                    + " --add-modules jdk.incubator.vector for the faster Vector API loops)";
        }
        return null;
    }

    private static CpuKernels load() {
        try {
            Object k = Class.forName(VECTOR_CLASS).getDeclaredConstructor().newInstance();
            String unfit = ((VectorFit) k).unfit();
            if (unfit != null) {
                LOG.log(Level.INFO, "vq4j: CPU ops use the portable loops: " + unfit);
                return null;
            }
            return (CpuKernels) k;
        } catch (ReflectiveOperationException | LinkageError e) {
            LOG.log(Level.INFO, "vq4j: " + VECTOR_CLASS + " failed to load: " + e);
            return null;
        }
    }

    /** Implemented by VectorKernels: why it would be slower than the portable loops here, or null. */
    interface VectorFit {
        String unfit();
    }
}
