package io.vq4j.cuda;

import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The kernels fatbin ({@code io/vq4j/cuda/vq4j_kernels.fatbin}, built by cmake/ from cuda/*.cu
 * and shipped in the jar), loaded once into the primary context. Functions are looked up by
 * their extern "C" name and cached.
 */
public final class KernelModule {
    public static final String RESOURCE = "/io/vq4j/cuda/vq4j_kernels.fatbin";

    private final CudaContext context;
    private final CUmodule module = new CUmodule();
    private final ConcurrentHashMap<String, Function> functions = new ConcurrentHashMap<>();

    /** A {@link CUfunction} whose raw handle is readable, for {@link DriverLaunch}'s FFM call. */
    public static final class Function extends CUfunction {
        long address() { return getNativePointer(); }
    }

    KernelModule(CudaContext context, byte[] image) {
        this.context = context;
        context.bind();
        CudaCheck.check(JCudaDriver.cuModuleLoadData(module, image), "cuModuleLoadData(" + RESOURCE + ", " + image.length + " bytes)");
    }

    /** The fatbin's bytes from the classpath, or null when the build had no nvcc. */
    static byte[] readImage() throws IOException {
        try (InputStream in = KernelModule.class.getResourceAsStream(RESOURCE)) {
            return in == null ? null : in.readAllBytes();
        }
    }

    /** The kernel named {@code name} (extern "C" in cuda/*.cu). */
    public Function function(String name) {
        return functions.computeIfAbsent(name, n -> {
            context.bind();
            Function f = new Function();
            CudaCheck.check(JCudaDriver.cuModuleGetFunction(f, module, n), "cuModuleGetFunction(" + n + ")");
            return f;
        });
    }

    public CudaContext context() { return context; }
}
