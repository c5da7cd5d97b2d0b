package io.vq4j.model.codec;

import io.vq4j.GpuTest;
import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.MemoryPool;
import io.vq4j.model.Autoencoder;
import io.vq4j.model.Checkpoint;
import io.vq4j.model.ModelKind;
import io.vq4j.model.ModelSpec;
import io.vq4j.model.VqAutoencoder;
import io.vq4j.nn.Backend;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The codec on CUDA: against the CPU codec on the same checkpoint, 64 concurrent callers against
 * sequential calls, throughput, and no device memory taken per call after warm-up.
 */
class VqCodecGpuTest extends GpuTest {
    @TempDir static Path dir;
    static ModelSpec convSpec, mlpSpec;
    static Path convFile, mlpFile;
    static final long SEED = System.nanoTime();

    @BeforeAll
    static void models() throws Exception {
        convSpec = ModelSpec.defaults(ModelKind.VQVAE, 3, 32, 17); // K 512, D 64, grid 4x4
        mlpSpec = ModelSpec.defaults(ModelKind.MLP_VQVAE, 1, 8, 18);
        convFile = dir.resolve("conv.safetensors");
        mlpFile = dir.resolve("mlp.safetensors");
        try (Backend b = Backend.cpu()) {
            CodecFixtures.buildAndSave(convFile, convSpec, b, 19).close();
            CodecFixtures.buildAndSave(mlpFile, mlpSpec, b, 20).close();
        }
    }

    static CodecOptions on(String backend) { return CodecOptions.defaults().withBackend(backend); }

    @Test
    void cudaAgreesWithTheCpuCodec() throws Exception {
        agreesWithCpu(convFile, convSpec, 64);
        agreesWithCpu(mlpFile, mlpSpec, 64);
    }

    private static void agreesWithCpu(Path file, ModelSpec spec, int count) throws Exception {
        int n = spec.channels() * spec.height() * spec.width();
        try (VqCodec gpu = VqCodec.open(file, on("cuda")); VqCodec cpu = VqCodec.open(file, on("cpu"))) {
            assertEquals("cuda", gpu.backendName());
            SplittableRandom r = new SplittableRandom(SEED);
            List<float[]> images = new ArrayList<>();
            List<int[]> codes = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                images.add(CodecFixtures.image(r.nextLong(), n));
                codes.add(r.ints(Arrays.stream(gpu.codeGridShape()).reduce(1, (a, b) -> a * b), 0, gpu.numCodes()).toArray());
            }
            List<int[]> g = gpu.encode(images), c = cpu.encode(images);
            int total = 0, same = 0, nearTies = 0;
            try (Backend b = Backend.cpu(); Autoencoder loaded = Checkpoint.load(file, b).model()) {
                VqAutoencoder ref = (VqAutoencoder) loaded;
                ref.train(false);
                float[] cb = ref.quantizer().codebook().value().toFloatArray();
                int dim = cb.length / gpu.numCodes();
                for (int i = 0; i < count; i++) {
                    float[] z = null;
                    for (int j = 0; j < g.get(i).length; j++) {
                        int gc = g.get(i)[j], cc = c.get(i)[j];
                        assertTrue(gc >= 0 && gc < gpu.numCodes(), "code " + gc + " out of range, seed " + SEED);
                        total++;
                        if (gc == cc) {
                            same++;
                            continue;
                        }
                        if (z == null) {
                            z = ref.encoder().forward(Tensor.of(CodecFixtures.modelRange(spec, images.get(i)), spec.batchShape(1)))
                                    .toFloatArray();
                        }
                        // a flip is allowed only between codes the CPU finds equally near up to float noise
                        int s = g.get(i).length;
                        double dg = 0, dc = 0, zz = 0;
                        for (int d = 0; d < dim; d++) {
                            double v = z[d * s + j];
                            dg += (v - cb[gc * dim + d]) * (v - cb[gc * dim + d]);
                            dc += (v - cb[cc * dim + d]) * (v - cb[cc * dim + d]);
                            zz += v * v;
                        }
                        assertTrue(Math.abs(dg - dc) <= 1e-4 * (zz + dc) + 1e-6, "image " + i + " position " + j + ": cuda code " + gc
                                + " (distance " + dg + ") vs cpu code " + cc + " (distance " + dc + "), seed " + SEED);
                        nearTies++;
                    }
                }
            }
            List<float[]> gd = gpu.decode(codes), cd = cpu.decode(codes);
            double maxErr = 0;
            for (int i = 0; i < count; i++) maxErr = Math.max(maxErr, maxAbs(gd.get(i), cd.get(i)));
            String shape = Arrays.toString(gpu.imageShape()) + " grid " + Arrays.toString(gpu.codeGridShape());
            System.out.printf("[gpu] op=codec-encode-vs-cpu kind=%s shape=%s codesAgree=%d/%d nearTieFlips=%d%n", spec.kind(), shape,
                    same, total, nearTies);
            System.out.printf("[gpu] op=codec-decode-vs-cpu kind=%s shape=%s maxErr=%.3g%n", spec.kind(), shape, maxErr);
            assertTrue(same >= total - Math.max(2, total / 100), same + " of " + total + " codes agree with the CPU, seed " + SEED);
            assertTrue(maxErr <= 2e-3, "decode differs from the CPU by " + maxErr + ", seed " + SEED);
        }
    }

    @Test
    void sixtyFourThreadsMatchSequentialCallsAndThroughput() throws Exception {
        int n = 3 * 32 * 32, distinct = 32, threads = 64, calls = 50;
        // Leaks are counted across the codec's whole life: while it is open, a batch size that the
        // concurrent calls happen to form for the first time may grow a cached workspace for good.
        long liveBefore = DeviceBuffer.liveBuffers();
        try (VqCodec c = VqCodec.open(convFile, on("cuda"))) {
            SplittableRandom r = new SplittableRandom(SEED + 1);
            float[][] images = new float[distinct][];
            int[][] codes = new int[distinct][];
            float[][] decoded = new float[distinct][];
            for (int i = 0; i < distinct; i++) {
                images[i] = CodecFixtures.image(r.nextLong(), n);
                codes[i] = c.encode(images[i]);
                decoded[i] = c.decode(codes[i]);
            }
            for (boolean encode : new boolean[] {true, false}) {
                CodecStats s0 = c.stats();
                double[] worst = new double[threads];
                int[] mismatches = new int[threads];
                long t0 = System.nanoTime();
                run(threads, id -> {
                    for (int i = 0; i < calls; i++) {
                        int w = (id * 7 + i) % distinct;
                        if (encode) {
                            int[] got = c.encode(images[w]);
                            for (int j = 0; j < got.length; j++) if (got[j] != codes[w][j]) mismatches[id]++;
                        } else {
                            float[] got = c.decode(codes[w]);
                            worst[id] = Math.max(worst[id], maxAbs(got, decoded[w]));
                        }
                    }
                });
                double secs = (System.nanoTime() - t0) / 1e9;
                CodecStats s = c.stats();
                long batches = s.batches() - s0.batches(), requests = s.requests() - s0.requests();
                int bad = Arrays.stream(mismatches).sum();
                double maxErr = Arrays.stream(worst).max().orElse(0);
                System.out.printf("[gpu] op=codec-%s shape=[3, 32, 32] threads=%d calls=%d images/s=%.0f batches=%d meanBatch=%.1f"
                                + " maxErr=%.3g codeMismatches=%d%n", encode ? "encode" : "decode", threads, threads * calls,
                        threads * calls / secs, batches, (double) requests / batches, maxErr, bad);
                assertEquals((long) threads * calls, requests);
                assertTrue(batches < requests, batches + " batches for " + requests + " requests");
                // batch composition may change the conv algorithm, so allow float noise and rare near-tie flips
                assertTrue(bad <= threads * calls * 16 / 200, bad + " codes differ from sequential calls, seed " + SEED);
                assertTrue(maxErr <= 1e-4, "decode differs from sequential calls by " + maxErr + ", seed " + SEED);
                assertEquals(0, s.failedBatches());
            }
        }
        assertEquals(liveBefore, DeviceBuffer.liveBuffers(), "device buffers left open by concurrent calls and close()");
    }

    @Test
    void aThousandEncodesAfterWarmUpTakeNoDeviceMemory() throws Exception {
        int n = 3 * 32 * 32;
        try (VqCodec c = VqCodec.open(convFile, on("cuda"))) {
            MemoryPool pool = MemoryPool.of(Cuda.runtime().context());
            assertEquals(-1L, pool.releaseThreshold(), "keepPoolMemory sets the pool to keep everything");
            float[] img = CodecFixtures.image(SEED, n);
            int[] want = c.encode(img);
            for (int i = 0; i < 100; i++) c.decode(c.encode(img)); // warm-up: batch size 1 both ways
            Cuda.runtime().context().synchronize();
            long free0 = Cuda.runtime().context().memoryInfo()[0];
            long live0 = DeviceBuffer.liveBuffers(), bytes0 = DeviceBuffer.liveBytes(), reserved0 = pool.reservedCurrent();
            long t0 = System.nanoTime();
            for (int i = 0; i < 1000; i++) assertArrayEquals(want, c.encode(img), "call " + i + ", seed " + SEED);
            double secs = (System.nanoTime() - t0) / 1e9;
            Cuda.runtime().context().synchronize();
            long free1 = Cuda.runtime().context().memoryInfo()[0];
            long live1 = DeviceBuffer.liveBuffers(), bytes1 = DeviceBuffer.liveBytes(), reserved1 = pool.reservedCurrent();
            System.out.printf("[gpu] op=codec-memory calls=1000 sequential images/s=%.0f freeBytesDelta=%d liveBuffersDelta=%d"
                            + " liveBytesDelta=%d poolReservedDelta=%d poolReserved=%d%n",
                    1000 / secs, free0 - free1, live1 - live0, bytes1 - bytes0, reserved1 - reserved0, reserved1);
            assertEquals(live0, live1, "device buffers left open");
            assertEquals(bytes0, bytes1, "device bytes left open");
            assertEquals(reserved0, reserved1, "the pool grew: calls took memory from the device");
            assertEquals(free0, free1, "device free memory changed over 1000 calls");
        }
    }

    @Test
    void closeFreesTheModelOnTheDevice() throws Exception {
        VqCodec.open(convFile, on("cuda")).close(); // anything made once per process is made before the baseline
        Cuda.runtime().context().synchronize();
        long live0 = DeviceBuffer.liveBuffers();
        VqCodec c = VqCodec.open(convFile, on("cuda"));
        assertTrue(DeviceBuffer.liveBuffers() > live0, "the model's weights live on the device");
        c.encodeAsync(new float[3 * 32 * 32]);
        c.close();
        assertEquals(live0, DeviceBuffer.liveBuffers(), "close() left device buffers open");
    }

    interface Body {
        void run(int id) throws Exception;
    }

    private static void run(int threads, Body body) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            ts.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                    body.run(id);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        go.countDown();
        for (Thread t : ts) t.join();
        if (failure.get() != null) throw new AssertionError("a caller failed, seed " + SEED, failure.get());
    }

    /** max |a - b|; +Inf when either holds a NaN (nothing unwritten or poisoned may come back). */
    private static double maxAbs(float[] a, float[] b) {
        assertEquals(b.length, a.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.isNaN(a[i]) || Float.isNaN(b[i])) return Double.POSITIVE_INFINITY;
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }
}
