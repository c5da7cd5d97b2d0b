package io.vq4j.cli;

import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.CudaContext;
import io.vq4j.ops.Backends;
import io.vq4j.ops.Ops;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code vq4j info}: the backend chosen and why, the GPU, the driver, and the native libraries. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Show the backend chosen and why, the GPU, driver, cuDNN and cuBLAS versions.")
final class InfoCommand implements Callable<Integer> {
    @Option(names = "--backend", description = "auto, cpu or cuda (default: ${DEFAULT-VALUE})", defaultValue = "auto")
    String backend;

    @Override
    public Integer call() {
        Ops ops;
        try {
            ops = Backends.create(backend);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new Main.UsageError(e.getMessage());
        }
        try (ops) {
            System.out.println("backend:  " + ops.name() + "  (" + Backends.choiceReason() + ")");
            System.out.println("java:     " + System.getProperty("java.vm.name") + " " + Runtime.version()
                    + ", " + Runtime.getRuntime().availableProcessors() + " CPUs");
            if (Cuda.isAvailable()) {
                Cuda.Runtime rt = Cuda.runtime();
                CudaContext c = rt.context();
                long[] mem = c.memoryInfo();
                System.out.println("gpu:      " + c + ", " + (mem[1] >> 20) + " MiB (" + (mem[0] >> 20) + " MiB free)");
                System.out.println("driver:   CUDA " + Cuda.driverVersionString(rt.driverVersion()));
            } else {
                System.out.println("gpu:      none (" + Cuda.unavailableReason() + ")");
            }
            for (String line : NativeLibraries.describe()) System.out.println(line);
        }
        return 0;
    }
}
