package io.vq4j.model.codec;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bounded queue between callers and the one worker: a lane per request kind (a batch is all
 * encode or all decode) under one lock and one capacity. Not a BlockingQueue because close() must
 * wake and refuse blocked producers atomically with taking what is queued: a producer that got
 * room after close() drained the queue would otherwise leave a request nobody ever completes.
 */
final class RequestQueue {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private final ArrayDeque<Request> encodes = new ArrayDeque<>();
    private final ArrayDeque<Request> decodes = new ArrayDeque<>();
    private final int capacity;
    private boolean closed;

    RequestQueue(int capacity) { this.capacity = capacity; }

    /**
     * Queues {@code r}. When full: waits for room if {@code block}, else throws
     * RejectedExecutionException. Throws IllegalStateException("codec closed") once closed, and
     * RejectedExecutionException (interrupt flag kept) when interrupted while waiting.
     */
    void put(Request r, boolean block) {
        lock.lock();
        try {
            while (!closed && size() >= capacity) {
                if (!block) throw new RejectedExecutionException("codec queue is full (queueCapacity " + capacity + ")");
                try {
                    notFull.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new RejectedExecutionException("interrupted while waiting for room in the codec queue", e);
                }
            }
            if (closed) throw VqCodec.closedError();
            (r.kind == Request.Kind.ENCODE ? encodes : decodes).addLast(r);
            notEmpty.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The next batch for the worker: up to {@code maxBatch} requests of one kind, the kind whose
     * oldest request is oldest. Waits for a first request, then until its lane holds
     * {@code maxBatch} or {@code maxDelayNanos} have passed since that request arrived. Requests
     * their callers cancelled are dropped. Returns null once the queue is closed.
     */
    List<Request> nextBatch(int maxBatch, long maxDelayNanos) throws InterruptedException {
        lock.lock();
        try {
            while (true) {
                ArrayDeque<Request> lane = oldestLane();
                if (closed) return null;
                if (lane == null) {
                    notEmpty.await();
                    continue;
                }
                long deadline = lane.peekFirst().createdNanos + maxDelayNanos;
                while (!closed && lane.size() < maxBatch) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) break;
                    notEmpty.awaitNanos(left);
                }
                if (closed) return null;
                List<Request> batch = new ArrayList<>(Math.min(maxBatch, lane.size()));
                while (batch.size() < maxBatch && !lane.isEmpty()) {
                    Request r = lane.pollFirst();
                    if (!r.isDone()) batch.add(r);
                }
                notFull.signalAll();
                if (!batch.isEmpty()) return batch;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Refuses all further puts, wakes everyone waiting, and returns what was queued (for the caller to fail). */
    List<Request> close() {
        lock.lock();
        try {
            closed = true;
            List<Request> rest = new ArrayList<>(encodes);
            rest.addAll(decodes);
            encodes.clear();
            decodes.clear();
            notFull.signalAll();
            notEmpty.signalAll();
            return rest;
        } finally {
            lock.unlock();
        }
    }

    boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** Requests waiting now (for tests and monitoring). */
    int size() {
        lock.lock();
        try {
            return encodes.size() + decodes.size();
        } finally {
            lock.unlock();
        }
    }

    private ArrayDeque<Request> oldestLane() {
        Request e = encodes.peekFirst(), d = decodes.peekFirst();
        if (e == null) return d == null ? null : decodes;
        if (d == null) return encodes;
        return e.createdNanos - d.createdNanos <= 0 ? encodes : decodes;
    }
}
