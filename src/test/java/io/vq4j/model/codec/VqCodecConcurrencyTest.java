package io.vq4j.model.codec;

import io.vq4j.model.ModelSpec;
import io.vq4j.nn.Backend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.*;

/** Many callers at once: batching, the same answers as sequential calls, close, failures, a full queue. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class VqCodecConcurrencyTest {
    @TempDir static Path dir;
    static ModelSpec spec;
    static Path file;
    static final int N = 3 * 16 * 16, DISTINCT = 16;

    @BeforeAll
    static void model() throws Exception {
        spec = CodecFixtures.smallConv(16, 21);
        file = dir.resolve("conv.safetensors");
        try (Backend b = Backend.cpu()) {
            CodecFixtures.buildAndSave(file, spec, b, 22).close();
        }
    }

    @AfterAll
    static void noWorkerLeft() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            assertFalse(t.getName().startsWith("vq4j-codec-") && t.isAlive(), "worker left running: " + t.getName());
        }
    }

    static CodecOptions cpu() { return CodecOptions.defaults().withBackend("cpu"); }

    @Test
    void sixtyFourThreadsGetTheSequentialAnswersInFewerBatches() throws Exception {
        float[][] images = new float[DISTINCT][];
        for (int i = 0; i < DISTINCT; i++) images[i] = CodecFixtures.image(300 + i, N);
        int threads = 64, calls = 50;
        try (VqCodec c = VqCodec.open(file, cpu())) {
            int[][] codes = new int[DISTINCT][];
            float[][] decoded = new float[DISTINCT][];
            for (int i = 0; i < DISTINCT; i++) {
                codes[i] = c.encode(images[i]);
                decoded[i] = c.decode(codes[i]);
            }
            long batches0 = c.stats().batches(), requests0 = c.stats().requests();

            CountDownLatch go = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicInteger checked = new AtomicInteger();
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                ts.add(Thread.ofPlatform().name("caller-" + t).start(() -> {
                    try {
                        go.await();
                        for (int i = 0; i < calls; i++) {
                            int which = (id * 7 + i) % DISTINCT;
                            if ((id + i) % 2 == 0) {
                                assertArrayEquals(codes[which], c.encode(images[which]), "thread " + id + " call " + i);
                            } else {
                                assertArrayEquals(decoded[which], c.decode(codes[which]), "thread " + id + " call " + i);
                            }
                            checked.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            go.countDown();
            for (Thread t : ts) t.join();
            if (failure.get() != null) throw new AssertionError("a caller failed", failure.get());
            assertEquals(threads * calls, checked.get());

            CodecStats s = c.stats();
            long batches = s.batches() - batches0, requests = s.requests() - requests0;
            System.out.printf("[cpu] op=codec threads=%d calls=%d batches=%d meanBatch=%.1f largest=%d%n",
                    threads, threads * calls, batches, (double) requests / batches, s.largestBatch());
            assertEquals(threads * calls, requests);
            assertTrue(batches < requests, batches + " batches for " + requests + " requests: nothing was batched");
            assertTrue(s.largestBatch() > 1 && s.largestBatch() <= 64, "largest batch " + s.largestBatch());
            assertEquals(0, s.failedBatches());
            assertEquals(s.batches(), s.encodeBatches() + s.decodeBatches());
        }
    }

    @Test
    void closeFailsPendingRequestsAndJoinsTheWorker() throws Exception {
        // a long delay and a big batch keep the requests queued until close()
        VqCodec c = VqCodec.open(file, cpu().withMaxDelay(Duration.ofSeconds(30)));
        String worker = c.workerName();
        assertTrue(alive(worker));
        List<CompletableFuture<int[]>> pending = new ArrayList<>();
        for (int i = 0; i < 3; i++) pending.add(c.encodeAsync(new float[N]));
        AtomicReference<Throwable> blocked = new AtomicReference<>();
        Thread caller = Thread.ofPlatform().start(() -> {
            try {
                c.decode(new int[4]);
            } catch (Throwable e) {
                blocked.set(e);
            }
        });
        while (c.stats().batches() == 0 && caller.getState() != Thread.State.WAITING) Thread.sleep(1);
        long t0 = System.nanoTime();
        c.close();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 5000, "close took " + ms + " ms");
        assertFalse(alive(worker), "worker " + worker + " still running after close");
        for (CompletableFuture<int[]> f : pending) {
            ExecutionException e = assertThrows(ExecutionException.class, f::get);
            assertInstanceOf(IllegalStateException.class, e.getCause());
            assertEquals("codec closed", e.getCause().getMessage());
        }
        caller.join();
        assertInstanceOf(IllegalStateException.class, blocked.get());
        assertEquals("codec closed", blocked.get().getMessage());
        assertEquals(0, c.stats().batches(), "no batch ran: the requests were pending");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.encode(new float[N]));
        assertEquals("codec closed", e.getMessage());
        c.close(); // idempotent
        assertTrue(c.isClosed());
    }

    @Test
    void aFailingBatchFailsExactlyItsRequestsAndTheCodecGoesOn() throws Exception {
        RuntimeException boom = new RuntimeException("boom: device lost");
        AtomicInteger calls = new AtomicInteger();
        UnaryOperator<BatchModel> failFirst = real -> new BatchModel() {
            @Override
            public List<int[]> encode(List<float[]> images) {
                if (calls.getAndIncrement() == 0) throw boom;
                return real.encode(images);
            }

            @Override
            public List<float[]> decode(List<int[]> codes) { return real.decode(codes); }
        };
        // maxBatch 3 and a long delay: exactly three requests make each batch
        try (VqCodec c = VqCodec.open(file, cpu().withMaxBatch(3).withMaxDelay(Duration.ofSeconds(30)), failFirst)) {
            List<CompletableFuture<int[]>> first = new ArrayList<>(), second = new ArrayList<>();
            for (int i = 0; i < 3; i++) first.add(c.encodeAsync(CodecFixtures.image(i, N)));
            for (CompletableFuture<int[]> f : first) {
                ExecutionException e = assertThrows(ExecutionException.class, f::get);
                assertSame(boom, e.getCause());
            }
            for (int i = 0; i < 3; i++) second.add(c.encodeAsync(CodecFixtures.image(i, N)));
            for (CompletableFuture<int[]> f : second) assertEquals(4, f.get().length);
            RuntimeException sync = assertThrows(RuntimeException.class, () -> {
                calls.set(0);
                List<float[]> three = List.of(new float[N], new float[N], new float[N]);
                c.encode(three);
            });
            assertSame(boom, sync, "a blocking call rethrows the batch's exception");
            CodecStats s = c.stats();
            assertEquals(3, s.batches());
            assertEquals(2, s.failedBatches());
            assertEquals(9, s.requests());
        }
    }

    @Test
    void aFullQueueRejectsOrBlocksAsConfigured() throws Exception {
        CodecOptions slow = cpu().withMaxDelay(Duration.ofSeconds(30)).withQueueCapacity(2);
        try (VqCodec c = VqCodec.open(file, slow.withWhenFull(CodecOptions.WhenFull.REJECT))) {
            c.encodeAsync(new float[N]);
            c.decodeAsync(new int[4]);
            RejectedExecutionException e = assertThrows(RejectedExecutionException.class, () -> c.encodeAsync(new float[N]));
            assertTrue(e.getMessage().contains("queueCapacity 2"), e.getMessage());
        }
        VqCodec c = VqCodec.open(file, slow.withWhenFull(CodecOptions.WhenFull.BLOCK));
        c.encodeAsync(new float[N]);
        c.encodeAsync(new float[N]);
        AtomicReference<Throwable> blocked = new AtomicReference<>();
        Thread producer = Thread.ofPlatform().start(() -> {
            try {
                c.encodeAsync(new float[N]);
            } catch (Throwable t) {
                blocked.set(t);
            }
        });
        while (producer.getState() != Thread.State.WAITING) Thread.sleep(1);
        c.close();
        producer.join();
        assertInstanceOf(IllegalStateException.class, blocked.get(), "a producer waiting for room is refused at close");
    }

    @Test
    void aBlockingCallFromACallbackIsRefusedNotADeadlock() throws Exception {
        try (VqCodec c = VqCodec.open(file, cpu())) {
            CompletableFuture<int[]> nested = c.encodeAsync(new float[N]).thenApply(codes -> c.encode(new float[N]));
            ExecutionException e = assertThrows(ExecutionException.class, () -> nested.get(10, TimeUnit.SECONDS));
            assertInstanceOf(IllegalStateException.class, e.getCause());
            // the async form is fine from there
            CompletableFuture<int[]> chained = c.encodeAsync(new float[N]).thenCompose(codes -> c.encodeAsync(new float[N]));
            assertEquals(4, chained.get(10, TimeUnit.SECONDS).length);
        }
    }

    private static boolean alive(String name) {
        for (Thread t : Thread.getAllStackTraces().keySet()) if (t.getName().equals(name) && t.isAlive()) return true;
        return false;
    }
}
