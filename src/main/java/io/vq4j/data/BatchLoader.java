package io.vq4j.data;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Feeds a training loop with batches prepared off its thread. Batches are numbered by a global
 * sequence (epoch after epoch); worker threads claim the next number, read, augment and map the
 * images of that batch, and hand it over; the training thread takes them in order. At most
 * {@code prefetch} batches are claimed and not yet taken, which bounds memory and lets workers
 * run ahead across an epoch boundary.
 *
 * <p>Batch (epoch, b) holds the images at positions [b * B, b * B + B) of epoch's order: a
 * permutation drawn from (seed, epoch) when shuffling, 0..n-1 otherwise. Augmentation draws from
 * (augment seed, epoch, image index). So the batches are the same for a given seed whatever the
 * number of workers or their timing.
 *
 * <p>{@link #next()} returns the batches of an epoch, then null once, then the next epoch's.
 * A failure in a worker (an exception from the dataset, say) stops the loader and is rethrown on
 * the training thread by the next call, with the original exception as its cause. {@link #close()}
 * stops and joins the workers (named {@code vq4j-loader-<n>-<k>}); use try-with-resources.
 */
public final class BatchLoader implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.vq4j");
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    /** How long close() waits for a worker stuck in a dataset read before giving up on it. */
    private static final long JOIN_TIMEOUT_MS = 10_000;

    /** The range loaded pixel values are mapped to. */
    public enum Range {
        /** As read: [0, 1]. */
        ZERO_ONE,
        /** 2x - 1: [-1, 1]. */
        MINUS_ONE_ONE
    }

    private final Dataset dataset;
    private final int batchSize, batchesPerEpoch, firstEpoch, capacity;
    private final Range range;
    private final boolean shuffle;
    private final long seed;
    private final Augment augment; // null when off
    private final String threadPrefix;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Guarded by lock. */
    private long claimed, taken;
    private final Map<Long, Batch> ready = new HashMap<>();
    private boolean endOfEpochReturned;
    private Throwable failure;
    private String failedWhile;
    private volatile boolean closed;

    private final Map<Integer, int[]> orders = new ConcurrentHashMap<>();
    private final Thread[] workers;

    private BatchLoader(Builder b) {
        this.dataset = b.dataset;
        this.batchSize = b.batchSize;
        int n = dataset.size();
        this.batchesPerEpoch = b.dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
        this.firstEpoch = b.firstEpoch;
        this.capacity = Math.max(b.prefetch, b.workers);
        this.range = b.range;
        this.shuffle = b.shuffle;
        this.seed = b.seed;
        this.augment = b.augment == null || b.augment.isIdentity() ? null : b.augment;
        this.threadPrefix = "vq4j-loader-" + INSTANCES.incrementAndGet() + "-";
        this.workers = new Thread[b.workers];
        try {
            for (int k = 0; k < workers.length; k++) {
                Thread t = new Thread(this::work, threadPrefix + k);
                t.setDaemon(true); // never keeps the JVM alive, even if close() is forgotten
                workers[k] = t;
                t.start();
            }
        } catch (RuntimeException | Error e) {
            close(); // stop the ones that started: nothing half-made
            throw e;
        }
    }

    public static Builder builder(Dataset dataset) {
        return new Builder(dataset);
    }

    public Dataset dataset() { return dataset; }
    public int batchSize() { return batchSize; }
    public int batchesPerEpoch() { return batchesPerEpoch; }
    /** The prefix of the worker threads' names, unique to this loader. */
    public String threadNamePrefix() { return threadPrefix; }

    /**
     * The next batch of the current epoch, or null when the epoch is over; the call after a null
     * starts the next epoch. Blocks until the batch is ready.
     *
     * @throws IllegalStateException when a worker failed (its exception is the cause), the loader
     *                               is closed, or this thread is interrupted while waiting
     */
    public Batch next() {
        lock.lock();
        try {
            check();
            if (taken > 0 && taken % batchesPerEpoch == 0 && !endOfEpochReturned) {
                endOfEpochReturned = true;
                // workers only ever claim from `taken` on: earlier epochs' orders are done with
                int epoch = epochOf(taken);
                orders.keySet().removeIf(e -> e < epoch);
                return null;
            }
            endOfEpochReturned = false;
            Batch batch;
            while ((batch = ready.remove(taken)) == null) {
                try {
                    changed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for batch " + (taken % batchesPerEpoch)
                            + " of epoch " + epochOf(taken), e);
                }
                check();
            }
            taken++;
            changed.signalAll(); // a worker may be waiting for room
            return batch;
        } finally {
            lock.unlock();
        }
    }

    /** The rest of the current epoch's batches (all of the next epoch's after an epoch ended), for for-each loops. */
    public Iterable<Batch> epoch() {
        return () -> new Iterator<>() {
            private Batch pending;
            private boolean done;

            @Override
            public boolean hasNext() {
                if (done) return false;
                if (pending == null) {
                    pending = BatchLoader.this.next();
                    done = pending == null;
                }
                return !done;
            }

            @Override
            public Batch next() {
                if (!hasNext()) throw new NoSuchElementException("the epoch is over");
                Batch b = pending;
                pending = null;
                return b;
            }
        };
    }

    /** Under lock: throws for a failed or closed loader. */
    private void check() {
        if (failure != null) {
            throw new IllegalStateException("batch loader of '" + dataset.name() + "' failed while " + failedWhile
                    + ": " + failure, failure);
        }
        if (closed) throw new IllegalStateException("batch loader of '" + dataset.name() + "' is closed");
    }

    private int epochOf(long seq) {
        return firstEpoch + (int) (seq / batchesPerEpoch);
    }

    /** A worker: claim a batch number, prepare it outside the lock, hand it over; until closed or failed. */
    private void work() {
        long seq = -1;
        try {
            while (true) {
                lock.lock();
                try {
                    while (!closed && failure == null && claimed >= taken + capacity) changed.await();
                    if (closed || failure != null) return;
                    seq = claimed++;
                } finally {
                    lock.unlock();
                }
                Batch batch = prepare(seq);
                if (batch == null) return; // closed meanwhile
                lock.lock();
                try {
                    if (closed) return; // close() dropped the queue; do not refill it
                    ready.put(seq, batch);
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        } catch (InterruptedException e) {
            // close() interrupts idle workers: just stop. Anyone else interrupting a worker would
            // leave the training thread waiting for a batch nobody prepares, so that is a failure.
            lock.lock();
            try {
                if (!closed && failure == null) {
                    failure = e;
                    failedWhile = "waiting for room in the queue (the worker thread was interrupted)";
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        } catch (Throwable t) {
            lock.lock();
            try {
                if (failure == null && !closed) {
                    if (t instanceof ImageFailure f) {
                        failure = f.getCause();
                        failedWhile = f.getMessage();
                    } else {
                        failure = t;
                        failedWhile = "preparing batch " + (seq % batchesPerEpoch) + " of epoch " + epochOf(seq);
                    }
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Batch {@code seq}: read, augment and map its images; null if the loader closed meanwhile. */
    private Batch prepare(long seq) {
        int epoch = epochOf(seq), b = (int) (seq % batchesPerEpoch);
        int[] order = orders.computeIfAbsent(epoch, this::order);
        int n = dataset.size(), start = b * batchSize, count = Math.min(batchSize, n - start);
        int c = dataset.channels(), h = dataset.height(), w = dataset.width(), size = c * h * w;
        float[] data = new float[count * size];
        int[] indices = new int[count], labels = new int[count];
        for (int k = 0; k < count; k++) {
            if (closed) return null;
            int i = order[start + k];
            indices[k] = i;
            try {
                dataset.read(i, data, k * size);
                labels[k] = dataset.label(i);
                if (augment != null) augment.apply(data, k * size, c, h, w, epoch, i);
            } catch (Throwable t) {
                throw new ImageFailure("reading image " + i + " (batch " + b + " of epoch " + epoch + ")", t);
            }
        }
        if (range == Range.MINUS_ONE_ONE) {
            for (int j = 0; j < data.length; j++) data[j] = data[j] * 2f - 1f;
        }
        return new Batch(epoch, b, count, c, h, w, data, indices, labels);
    }

    /** The order of an epoch's images. */
    private int[] order(int epoch) {
        if (shuffle) return CounterRng.permutation(dataset.size(), seed, epoch, CounterRng.TAG_SHUFFLE);
        int[] identity = new int[dataset.size()];
        for (int i = 0; i < identity.length; i++) identity[i] = i;
        return identity;
    }

    /**
     * Stops the workers and waits for them: idle ones at once, busy ones after their current image.
     * Idempotent. Batches not yet taken are dropped.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            ready.clear();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        for (Thread t : workers) if (t != null) t.interrupt();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(JOIN_TIMEOUT_MS);
        boolean interrupted = false;
        for (Thread t : workers) {
            if (t == null) continue;
            while (t.isAlive()) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) break;
                try {
                    t.join(left);
                } catch (InterruptedException e) {
                    interrupted = true; // keep waiting: close() must not leave workers behind lightly
                }
            }
            if (t.isAlive()) {
                LOG.log(System.Logger.Level.WARNING, t.getName() + " is still inside a read of '" + dataset.name()
                        + "' after " + JOIN_TIMEOUT_MS + " ms; it is a daemon and ends after that image");
            }
        }
        orders.clear();
        if (interrupted) Thread.currentThread().interrupt();
    }

    /** Carries the position of a failed image to the training thread; the cause is what the dataset threw. */
    private static final class ImageFailure extends RuntimeException {
        ImageFailure(String where, Throwable cause) {
            super(where, cause);
        }
    }

    /** Options of a {@link BatchLoader}; every one has a default except the dataset. */
    public static final class Builder {
        private final Dataset dataset;
        private int batchSize = 64, workers = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() - 1));
        private int prefetch = 4, firstEpoch;
        private Range range = Range.ZERO_ONE;
        private boolean shuffle = true, dropLast;
        private long seed;
        private Augment augment;

        private Builder(Dataset dataset) {
            if (dataset == null) throw new IllegalArgumentException("dataset must not be null");
            this.dataset = dataset;
        }

        /** Images per batch (default 64). */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** The value range of the batches (default [0, 1]). */
        public Builder range(Range range) {
            this.range = range;
            return this;
        }

        /** Shuffles each epoch with a permutation drawn from (seed, epoch) (the default, seed 0). */
        public Builder shuffle(long seed) {
            this.shuffle = true;
            this.seed = seed;
            return this;
        }

        /** Reads every epoch in dataset order. */
        public Builder noShuffle() {
            this.shuffle = false;
            return this;
        }

        /** Augments each image (default none). */
        public Builder augment(Augment augment) {
            this.augment = augment;
            return this;
        }

        /** Drops an epoch's last batch when it would be smaller than the batch size (default false). */
        public Builder dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /** Background threads (default: cores - 1, between 1 and 4). */
        public Builder workers(int workers) {
            this.workers = workers;
            return this;
        }

        /** Batches prepared ahead of the training thread at most (default 4; at least one per worker). */
        public Builder prefetch(int prefetch) {
            this.prefetch = prefetch;
            return this;
        }

        /** The number of the first epoch (default 0), to resume a run with the same orders and augmentations. */
        public Builder firstEpoch(int firstEpoch) {
            this.firstEpoch = firstEpoch;
            return this;
        }

        /** Checks the options and starts the workers. */
        public BatchLoader build() {
            int n = dataset.size();
            if (n < 1) throw new IllegalArgumentException("dataset '" + dataset.name() + "' is empty");
            if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
            if (dropLast && batchSize > n) {
                throw new IllegalArgumentException("batchSize " + batchSize + " > dataset size " + n
                        + " with dropLast: every epoch would be empty");
            }
            if ((long) Math.min(batchSize, n) * dataset.imageSize() > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("batchSize " + batchSize + " of " + dataset.channels() + "x"
                        + dataset.height() + "x" + dataset.width() + " images does not fit in one float array");
            }
            if (workers < 1 || workers > 256) throw new IllegalArgumentException("workers must be in [1, 256], got " + workers);
            if (prefetch < 1) throw new IllegalArgumentException("prefetch must be >= 1, got " + prefetch);
            if (firstEpoch < 0) throw new IllegalArgumentException("firstEpoch must be >= 0, got " + firstEpoch);
            if (range == null) throw new IllegalArgumentException("range must not be null");
            return new BatchLoader(this);
        }
    }
}
