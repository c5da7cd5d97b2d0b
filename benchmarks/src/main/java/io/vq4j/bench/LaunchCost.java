package io.vq4j.bench;

import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.CudaEvent;
import io.vq4j.model.Autoencoder;
import io.vq4j.model.train.TrainStep;
import io.vq4j.nn.Backend;
import io.vq4j.ops.CudaLayerOps;
import io.vq4j.ops.CudaOps;
import io.vq4j.ops.KlReduction;
import io.vq4j.ops.Tensor;

import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * Where the time of a small op goes: the host's cost of enqueueing one call against the device's
 * time for it. For each op, {@code calls} calls are enqueued back to back with no synchronisation:
 * the host's wall time over them is the enqueue cost per call, and CUDA events around the whole
 * batch give the device's time per call when the host runs ahead (the throughput a pipeline of
 * such calls reaches). GpuBench's single-call median is bounded below by the larger of the two.
 *
 * <pre>java -cp ... io.vq4j.bench.LaunchCost [calls]      (-Dvq4j.cuda.launch=jcuda for JCuda's launch path)</pre>
 *
 * Napkin: a kernel launch costs the driver about 2-3 us of host time; the 131072-element ops move
 * 1-1.5 MB (under 1 us of HBM time), so they are launch-bound by design.
 */
public final class LaunchCost {
    private LaunchCost() {}

    public static void main(String[] args) {
        if (System.getProperty("vq4j.checks") == null) System.setProperty("vq4j.checks", "false");
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        if (!Cuda.isAvailable()) {
            System.err.println("LaunchCost: CUDA is not available: " + Cuda.unavailableReason());
            System.exit(2);
        }
        try (CudaOps gpu = new CudaOps();
             Tensor mu = gpu.standardNormal(1, 0, 131072); Tensor lv = gpu.standardNormal(2, 0, 131072);
             Tensor z = gpu.standardNormal(3, 0, 65536, 4); Tensor cb = gpu.standardNormal(4, 0, 512, 4)) {
            System.out.println("launch path: " + System.getProperty("vq4j.cuda.launch", "ffm") + ", calls " + calls);
            System.out.println("op | host us/call | device us/call (pipelined)");
            measure(gpu, "reparameterize n=131072", calls, i -> gpu.reparameterize(mu, lv, i, 0, false).close());
            measure(gpu, "kl sum n=131072", calls, i -> gpu.klDivergence(mu, lv, KlReduction.SUM).close());
            measure(gpu, "nearest+quantize N=65536 D=4 K=512", calls, i -> gpu.nearestQuantize(z, cb).close());
            try (Tensor zb = gpu.standardNormal(5, 0, 524288, 64); Tensor cbb = gpu.standardNormal(6, 0, 256, 64)) {
                measure(gpu, "nearest+quantize N=524288 D=64 K=256", Math.max(1, calls / 10),
                        i -> gpu.nearestQuantize(zb, cbb).close());
            }
            for (boolean vae : new boolean[] {true, false}) trainStep(gpu, vae);
        }
    }

    /**
     * The same split for one training step of the sizes (FP32): is the host's enqueue of
     * a step (hundreds of launches and cuDNN calls) faster than the device's work for it?
     */
    private static void trainStep(CudaOps gpu, boolean vae) {
        int batch = vae ? 8 : 16, size = vae ? 512 : 256;
        try (Backend b = Backend.over(gpu, new CudaLayerOps(gpu, false));
             Autoencoder m = TrainStepCases.build(b, vae, 3);
             Tensor x = gpu.upload(TrainStepCases.batch(1, batch, 3, size));
             TrainStep step = new TrainStep(m, TrainStepCases.adamW(b, m))) {
            m.train(true);
            step.startEpoch();
            measure(gpu, (vae ? "train step ConvVAE " : "train step ConvVQVAE ") + batch + "x3x" + size + "^2", 20,
                    i -> step.run(x));
        }
    }

    private static void measure(CudaOps gpu, String name, int calls, IntConsumer body) {
        var stream = gpu.runtime().stream();
        for (int i = 0; i < Math.min(200, 10 * calls); i++) body.accept(i); // warm-up: JIT, pool, module functions
        stream.synchronize();
        double[] host = new double[5], device = new double[5];
        for (int r = 0; r < host.length; r++) {
            try (CudaEvent start = new CudaEvent(stream.context()); CudaEvent end = new CudaEvent(stream.context())) {
                start.record(stream);
                long t0 = System.nanoTime();
                for (int i = 0; i < calls; i++) body.accept(i);
                long t1 = System.nanoTime();
                end.record(stream);
                end.synchronize();
                host[r] = (t1 - t0) / 1e3 / calls;
                device[r] = end.elapsedMillisSince(start) * 1e3 / calls;
            }
        }
        Arrays.sort(host);
        Arrays.sort(device);
        System.out.printf("%s | %.2f | %.2f%n", name, host[2], device[2]);
    }
}
