package io.vq4j.cuda;

import io.vq4j.GpuTest;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;

/** The JCuda bridge on a real GPU: context, memory, launches, errors, leaks, threads. */
class CudaBridgeGpuTest extends GpuTest {

    private static void affine(Cuda.Runtime rt, DeviceBuffer out, DeviceBuffer in, long n, float a, float b) {
        KernelLaunch.of(rt.kernels(), "util_affine_f32", rt.stream())
                .grid(Math.max(1, Math.min((n + 255) / 256, 65535L))).block(256)
                .arg(out).argOrNull(in).arg(n).arg(a).arg(b).launch();
    }

    @Test
    void deviceInfo() {
        Cuda.Runtime rt = Cuda.runtime();
        CudaContext ctx = rt.context();
        long[] mem = ctx.memoryInfo();
        System.out.printf("[gpu] device=%s driver=%s free=%d total=%d%n", ctx, Cuda.driverVersionString(rt.driverVersion()),
                mem[0], mem[1]);
        assertTrue(ctx.multiprocessorCount() > 0);
        assertTrue(mem[1] > 0 && mem[0] <= mem[1]);
    }

    @Test
    void roundTripAndLaunchWithEveryArgumentType() {
        Cuda.Runtime rt = Cuda.runtime();
        int n = 1_000_003; // not a multiple of any block
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = i * 0.5f - 7;
        try (DeviceBuffer in = new DeviceBuffer(rt.stream(), 4L * n); DeviceBuffer out = new DeviceBuffer(rt.stream(), 4L * n)) {
            in.copyFrom(x, 0, 0, n);
            out.fill32(0x7FBADBAD);
            affine(rt, out, in, n, 3f, -2f);
            float[] y = new float[n];
            out.copyTo(y, 0, 0, n);
            for (int i = 0; i < n; i++) assertEquals(Math.fma(3f, x[i], -2f), y[i], 0f, "element " + i);
            affine(rt, out, null, n, 0f, 1.25f); // NULL pointer argument
            out.copyTo(y, 0, 0, n);
            for (int i = 0; i < n; i += 9973) assertEquals(1.25f, y[i], 0f);
            // partial copies at offsets
            float[] part = new float[5];
            out.copyTo(part, 1, 4L * 10, 3);
            assertArrayEquals(new float[] {0, 1.25f, 1.25f, 1.25f, 0}, part);
        }
    }

    @Test
    void outOfMemoryIsAClearExceptionAndTheProcessGoesOn() {
        Cuda.Runtime rt = Cuda.runtime();
        long huge = rt.context().memoryInfo()[1] * 4; // four times the card
        CudaException e = assertThrows(CudaException.class, () -> new DeviceBuffer(rt.stream(), huge));
        System.out.println("[gpu] OOM message: " + e.getMessage());
        assertEquals("cuMemAlloc(" + huge + " bytes): CUDA_ERROR_OUT_OF_MEMORY", e.getMessage());
        assertTrue(e.isOutOfMemory());
        try (DeviceBuffer ok = new DeviceBuffer(rt.stream(), 1 << 20)) {
            ok.fill32(0);
            rt.stream().synchronize();
        }
    }

    @Test
    void tenThousandAllocFreeCyclesLeaveMemoryWhereItStarted() {
        Cuda.Runtime rt = Cuda.runtime();
        rt.stream().synchronize();
        long liveBefore = DeviceBuffer.liveBytes();
        long freeBefore = rt.context().memoryInfo()[0];
        for (int i = 0; i < 10_000; i++) {
            try (DeviceBuffer b = new DeviceBuffer(rt.stream(), 1024L * (1 + i % 64))) {
                b.fill32(i);
            }
        }
        rt.stream().synchronize();
        long freeAfter = rt.context().memoryInfo()[0];
        System.out.printf("[gpu] 10000 alloc/free: free before=%d after=%d (diff %d bytes)%n", freeBefore, freeAfter, freeBefore - freeAfter);
        assertEquals(liveBefore, DeviceBuffer.liveBytes());
        assertTrue(freeBefore - freeAfter <= 64L << 20, "device memory grew by " + (freeBefore - freeAfter) + " bytes");
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseIsAnError() {
        Cuda.Runtime rt = Cuda.runtime();
        DeviceBuffer b = new DeviceBuffer(rt.stream(), 64);
        b.close();
        b.close();
        assertThrows(IllegalStateException.class, b::address);
        try (CudaEvent e = new CudaEvent(rt.context())) {
            e.close();
        }
    }

    @Test
    void usableFromManyThreads() throws Exception {
        Cuda.Runtime rt = Cuda.runtime();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<Float>> results = new ArrayList<>();
            for (int t = 0; t < 64; t++) {
                final int id = t;
                results.add(pool.submit(() -> {
                    try (DeviceBuffer b = new DeviceBuffer(rt.stream(), 4 * 1000)) {
                        affine(rt, b, null, 1000, 0f, id);
                        float[] y = new float[1000];
                        b.copyTo(y, 0, 0, 1000);
                        return y[999];
                    }
                }));
            }
            for (int t = 0; t < 64; t++) assertEquals(t, results.get(t).get(), 0f);
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void eventsTimeWork() {
        Cuda.Runtime rt = Cuda.runtime();
        try (CudaEvent a = new CudaEvent(rt.context()); CudaEvent b = new CudaEvent(rt.context());
             DeviceBuffer buf = new DeviceBuffer(rt.stream(), 4L << 24)) {
            a.record(rt.stream());
            affine(rt, buf, null, 1L << 24, 0f, 1f);
            b.record(rt.stream());
            b.synchronize();
            float ms = b.elapsedMillisSince(a);
            assertTrue(ms > 0 && ms < 1000, "elapsed " + ms);
        }
    }

    @Test
    void badLaunchNamesTheKernel() {
        Cuda.Runtime rt = Cuda.runtime();
        CudaException e = assertThrows(CudaException.class, () ->
                KernelLaunch.of(rt.kernels(), "util_affine_f32", rt.stream()).grid(1).block(4096)
                        .arg(0L).arg(0L).arg(0L).arg(0f).arg(0f).launch());
        assertTrue(e.getMessage().startsWith("cuLaunchKernel(util_affine_f32"), e.getMessage());
        assertThrows(CudaException.class, () -> rt.kernels().function("no_such_kernel"));
    }
}
