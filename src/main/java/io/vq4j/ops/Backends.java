package io.vq4j.ops;

import io.vq4j.cuda.Cuda;

import java.util.Locale;

/**
 * The one place that picks the backend. {@code -Dvq4j.backend} (or the environment variable
 * {@code VQ4J_BACKEND}) = {@code auto} (default), {@code cpu} or {@code cuda}. Auto takes CUDA when
 * {@link Cuda#isAvailable()}, else the CPU, and logs why once. Forcing {@code cuda} where it is not
 * available is an error, never a silent fallback.
 */
public final class Backends {
    private Backends() {}

    private static final System.Logger LOG = System.getLogger("io.vq4j");
    private static volatile Ops shared;
    private static volatile String choiceReason;

    /** The process-wide backend, chosen once by the setting above. */
    public static Ops get() {
        Ops o = shared;
        if (o == null) {
            synchronized (Backends.class) {
                if (shared == null) shared = create(configured());
                o = shared;
            }
        }
        return o;
    }

    /** Why {@link #get()} chose what it chose (null before the choice). */
    public static String choiceReason() { return choiceReason; }

    /** The configured backend name: the system property, else the environment variable, else "auto". */
    public static String configured() {
        String v = System.getProperty("vq4j.backend");
        if (v == null || v.isBlank()) v = System.getenv("VQ4J_BACKEND");
        return v == null || v.isBlank() ? "auto" : v.trim().toLowerCase(Locale.ROOT);
    }

    /**
     * The layer ops that work on {@code ops}' tensors: {@link CpuLayerOps} for the CPU,
     * {@link CudaLayerOps} (cuDNN, cuBLAS) for CUDA. The caller owns (and closes) them.
     */
    public static LayerOps layersFor(Ops ops) {
        if (ops instanceof CudaOps cuda) return new CudaLayerOps(cuda);
        if (ops instanceof CpuOps) return new CpuLayerOps();
        throw new IllegalArgumentException("no layer ops for backend " + (ops == null ? "null" : ops.name()));
    }

    /** A new backend by name: "auto", "cpu" or "cuda". */
    public static Ops create(String name) {
        String n = name == null ? "auto" : name.trim().toLowerCase(Locale.ROOT);
        switch (n) {
            case "cpu" -> {
                choiceReason = "cpu: forced by vq4j.backend/VQ4J_BACKEND or --backend";
                return new CpuOps();
            }
            case "cuda" -> {
                if (!Cuda.isAvailable()) {
                    throw new IllegalStateException("backend 'cuda' was requested but CUDA is not available: "
                            + Cuda.unavailableReason());
                }
                choiceReason = "cuda: forced, on " + Cuda.runtime().context();
                return new CudaOps();
            }
            case "auto" -> {
                if (Cuda.isAvailable()) {
                    choiceReason = "cuda: available on " + Cuda.runtime().context();
                    LOG.log(System.Logger.Level.INFO, "vq4j backend: " + choiceReason);
                    return new CudaOps();
                }
                choiceReason = "cpu: CUDA is not available (" + Cuda.unavailableReason() + ")";
                LOG.log(System.Logger.Level.INFO, "vq4j backend: " + choiceReason);
                return new CpuOps();
            }
            default -> throw new IllegalArgumentException("unknown backend '" + name + "': expected auto, cpu or cuda");
        }
    }
}
