package io.vq4j.data;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

class BatchLoaderTest {
    /** Image i holds known values, so batch contents can be checked without the loader. */
    static final class Indexed implements Dataset {
        final int n, failAt;
        final long spinNanosPerImage;
        final Throwable failure; // a RuntimeException or an Error

        Indexed(int n) { this(n, -1, null, 0); }

        Indexed(int n, int failAt, Throwable failure, long spinNanosPerImage) {
            this.n = n;
            this.failAt = failAt;
            this.failure = failure;
            this.spinNanosPerImage = spinNanosPerImage;
        }

        static float value(int i, int p) { return ((i * 7 + p) % 97) / 96f; }

        @Override public int size() { return n; }
        @Override public int channels() { return 2; }
        @Override public int height() { return 3; }
        @Override public int width() { return 4; }
        @Override public String name() { return "indexed-" + n; }
        @Override public int label(int i) { return i % 5; }

        @Override
        public void read(int index, float[] dst, int offset) {
            Dataset.checkRead(this, index, dst, offset);
            // busy, not sleeping: a read that ignores interrupts, like real decoding
            long until = System.nanoTime() + spinNanosPerImage;
            while (System.nanoTime() < until) Thread.onSpinWait();
            if (index == failAt) {
                if (failure instanceof Error err) throw err;
                throw (RuntimeException) failure;
            }
            for (int p = 0; p < imageSize(); p++) dst[offset + p] = value(index, p);
        }
    }

    static List<String> alive(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(prefix) && t.isAlive()).map(Thread::getName).toList();
    }

    /** The batches of one epoch, checking contents against the dataset; returns the concatenated indices. */
    static int[] epoch(BatchLoader loader, int epoch, BatchLoader.Range range, boolean allowFewer) {
        Dataset d = loader.dataset();
        int size = d.imageSize();
        List<Integer> order = new ArrayList<>();
        for (int b = 0; b < loader.batchesPerEpoch(); b++) {
            Batch batch = loader.next();
            assertNotNull(batch, "epoch " + epoch + " ended after " + b + " batches");
            assertEquals(epoch, batch.epoch());
            assertEquals(b, batch.index());
            boolean last = b == loader.batchesPerEpoch() - 1;
            if (!last || !allowFewer) assertEquals(loader.batchSize(), batch.count());
            assertEquals(batch.count() * size, batch.data().length);
            for (int k = 0; k < batch.count(); k++) {
                int i = batch.indices()[k];
                order.add(i);
                assertEquals(i % 5, batch.labels()[k]);
                for (int p = 0; p < size; p++) {
                    double v = Indexed.value(i, p), ref = range == BatchLoader.Range.ZERO_ONE ? v : 2 * v - 1;
                    assertEquals(ref, batch.data()[k * size + p], 1e-6, "image " + i + " pixel " + p);
                }
            }
        }
        assertNull(loader.next(), "epoch " + epoch + " did not end after " + loader.batchesPerEpoch() + " batches");
        return order.stream().mapToInt(Integer::intValue).toArray();
    }

    static void assertEachOnce(int[] order, int n, int expectedCount) {
        assertEquals(expectedCount, order.length);
        boolean[] seen = new boolean[n];
        for (int i : order) {
            assertFalse(seen[i], "index " + i + " twice in an epoch");
            seen[i] = true;
        }
    }

    @Test
    void everyIndexExactlyOncePerEpochInShuffledOrder() {
        int n = 1003;
        try (BatchLoader loader = BatchLoader.builder(new Indexed(n)).batchSize(64).shuffle(11).workers(3).prefetch(5).build()) {
            assertEquals(16, loader.batchesPerEpoch());
            int[] prev = null;
            for (int e = 0; e < 3; e++) {
                int[] order = epoch(loader, e, BatchLoader.Range.ZERO_ONE, true);
                assertEachOnce(order, n, n);
                int[] sorted = order.clone();
                Arrays.sort(sorted);
                assertFalse(Arrays.equals(order, sorted), "epoch " + e + " is not shuffled");
                if (prev != null) assertFalse(Arrays.equals(order, prev), "epochs " + (e - 1) + " and " + e + " in the same order");
                prev = order;
            }
        }
        try (BatchLoader loader = BatchLoader.builder(new Indexed(n)).batchSize(64).dropLast(true).workers(2).build()) {
            assertEquals(15, loader.batchesPerEpoch());
            for (int e = 0; e < 2; e++) assertEachOnce(epoch(loader, e, BatchLoader.Range.ZERO_ONE, false), n, 960);
        }
        try (BatchLoader loader = BatchLoader.builder(new Indexed(1)).batchSize(1).workers(1).build()) {
            for (int e = 0; e < 3; e++) assertArrayEquals(new int[] {0}, epoch(loader, e, BatchLoader.Range.ZERO_ONE, false));
        }
        try (BatchLoader loader = BatchLoader.builder(new Indexed(13)).batchSize(64).workers(2).build()) {
            assertEquals(1, loader.batchesPerEpoch());
            assertEachOnce(epoch(loader, 0, BatchLoader.Range.ZERO_ONE, true), 13, 13);
        }
    }

    @Test
    void orderDependsOnTheSeedOnlyNotOnWorkers() {
        int n = 500;
        List<int[]> a = new ArrayList<>(), b = new ArrayList<>(), c = new ArrayList<>();
        try (BatchLoader l1 = BatchLoader.builder(new Indexed(n)).batchSize(32).shuffle(7).workers(1).prefetch(1).build();
             BatchLoader l4 = BatchLoader.builder(new Indexed(n)).batchSize(32).shuffle(7).workers(4).prefetch(8).build();
             BatchLoader other = BatchLoader.builder(new Indexed(n)).batchSize(32).shuffle(8).workers(2).build()) {
            for (int e = 0; e < 2; e++) {
                a.add(epoch(l1, e, BatchLoader.Range.ZERO_ONE, true));
                b.add(epoch(l4, e, BatchLoader.Range.ZERO_ONE, true));
                c.add(epoch(other, e, BatchLoader.Range.ZERO_ONE, true));
            }
        }
        for (int e = 0; e < 2; e++) {
            assertArrayEquals(a.get(e), b.get(e), "epoch " + e + ": 1 and 4 workers disagree");
            assertFalse(Arrays.equals(a.get(e), c.get(e)), "seeds 7 and 8 agree in epoch " + e);
        }
        try (BatchLoader plain = BatchLoader.builder(new Indexed(n)).batchSize(32).noShuffle().workers(3).build()) {
            int[] order = epoch(plain, 0, BatchLoader.Range.ZERO_ONE, true);
            for (int i = 0; i < n; i++) assertEquals(i, order[i]);
        }
        // resuming at epoch 1 gives the order epoch 1 had
        try (BatchLoader resumed = BatchLoader.builder(new Indexed(n)).batchSize(32).shuffle(7).firstEpoch(1).build()) {
            assertArrayEquals(a.get(1), epoch(resumed, 1, BatchLoader.Range.ZERO_ONE, true));
        }
    }

    @Test
    void valuesMapToMinusOneOneAndAugmentationUsesEpochAndIndex() {
        try (BatchLoader loader = BatchLoader.builder(new Indexed(77)).batchSize(10).range(BatchLoader.Range.MINUS_ONE_ONE)
                .workers(2).build()) {
            for (int e = 0; e < 2; e++) assertEachOnce(epoch(loader, e, BatchLoader.Range.MINUS_ONE_ONE, true), 77, 77);
        }
        Augment aug = Augment.reference(3);
        Indexed d = new Indexed(40);
        try (BatchLoader loader = BatchLoader.builder(d).batchSize(8).augment(aug).workers(2).build()) {
            for (int e = 0; e < 2; e++) {
                for (Batch batch : loader.epoch()) {
                    for (int k = 0; k < batch.count(); k++) {
                        int i = batch.indices()[k];
                        float[] ref = new float[d.imageSize()];
                        d.read(i, ref, 0);
                        aug.apply(ref, 0, 2, 3, 4, e, i);
                        float[] got = Arrays.copyOfRange(batch.data(), k * ref.length, (k + 1) * ref.length);
                        assertArrayEquals(ref, got, "epoch " + e + " image " + i);
                    }
                }
            }
        }
    }

    @Test
    void epochIterablesFollowEachOther() {
        try (BatchLoader loader = BatchLoader.builder(new Indexed(50)).batchSize(16).workers(2).build()) {
            for (int e = 0; e < 3; e++) {
                int count = 0;
                for (Batch b : loader.epoch()) {
                    assertEquals(e, b.epoch());
                    assertEquals(count++, b.index());
                }
                assertEquals(4, count);
            }
        }
    }

    @Test
    void closeStopsEveryWorkerPromptly() {
        // idle workers (the queue is full because nothing is taken)
        BatchLoader idle = BatchLoader.builder(new Indexed(1000)).batchSize(8).workers(3).prefetch(3).build();
        String prefix = idle.threadNamePrefix();
        assertFalse(alive(prefix).isEmpty());
        assertNotNull(idle.next());
        assertTimeoutPreemptively(Duration.ofSeconds(5), idle::close);
        assertEquals(List.of(), alive(prefix));
        var e = assertThrows(IllegalStateException.class, idle::next);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        idle.close(); // idempotent

        // busy workers inside a read that ignores interrupts: they stop after the current image
        BatchLoader busy = BatchLoader.builder(new Indexed(1000, -1, null, 20_000_000L)).batchSize(64).workers(2).build();
        String busyPrefix = busy.threadNamePrefix();
        assertTimeoutPreemptively(Duration.ofSeconds(5), busy::close);
        assertEquals(List.of(), alive(busyPrefix));
    }

    @Test
    void closeFromAnotherThreadWakesAWaitingConsumer() throws Exception {
        BatchLoader slow = BatchLoader.builder(new Indexed(100, -1, null, 50_000_000L)).batchSize(50).workers(1).build();
        AtomicReference<Throwable> seen = new AtomicReference<>();
        Thread consumer = new Thread(() -> {
            try {
                slow.next();
            } catch (Throwable t) {
                seen.set(t);
            }
        });
        consumer.start();
        Thread.sleep(200);
        slow.close();
        consumer.join(5000);
        assertFalse(consumer.isAlive(), "next() still waits after close()");
        assertInstanceOf(IllegalStateException.class, seen.get());
        assertEquals(List.of(), alive(slow.threadNamePrefix()));
    }

    static final class Boom extends RuntimeException {
        Boom(String m) { super(m); }
    }

    @Test
    void aFailingReadSurfacesOnTheTrainingThreadWithItsCause() {
        Boom boom = new Boom("disk on fire");
        BatchLoader loader = BatchLoader.builder(new Indexed(100, 37, boom, 0)).batchSize(10).workers(2).build();
        IllegalStateException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(IllegalStateException.class, () -> {
            while (true) {
                loader.next(); // a null at the end of epoch 0 would loop into epoch 1, which also fails
            }
        }));
        assertSame(boom, e.getCause());
        assertTrue(e.getMessage().contains("image 37") && e.getMessage().contains("indexed-100")
                && e.getMessage().contains("disk on fire"), e.getMessage());
        // it stays failed, and the threads are gone after close
        assertSame(boom, assertThrows(IllegalStateException.class, loader::next).getCause());
        loader.close();
        assertEquals(List.of(), alive(loader.threadNamePrefix()));

        // an Error is carried too
        AssertionError err = new AssertionError("bad state");
        try (BatchLoader l = BatchLoader.builder(new Indexed(10, 0, err, 0)).batchSize(4).workers(1).build()) {
            assertSame(err, assertTimeoutPreemptively(Duration.ofSeconds(10),
                    () -> assertThrows(IllegalStateException.class, l::next)).getCause());
        }
    }

    @Test
    void badOptionsAreClearErrors() {
        Indexed d = new Indexed(10);
        var e = assertThrows(IllegalArgumentException.class, () -> BatchLoader.builder(d).batchSize(0).build());
        assertTrue(e.getMessage().contains("batchSize"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BatchLoader.builder(d).batchSize(11).dropLast(true).build());
        assertTrue(e.getMessage().contains("11") && e.getMessage().contains("10"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BatchLoader.builder(d).workers(0).build());
        assertThrows(IllegalArgumentException.class, () -> BatchLoader.builder(d).prefetch(0).build());
        assertThrows(IllegalArgumentException.class, () -> BatchLoader.builder(null));
    }
}
