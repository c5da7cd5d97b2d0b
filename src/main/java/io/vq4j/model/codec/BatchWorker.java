package io.vq4j.model.codec;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The codec's one worker: takes a batch from the queue, runs one model call, completes each
 * request with its slice. A failing call fails exactly the requests of its batch (with the cause)
 * and the worker goes on. On exit (queue closed, or a bug in the loop itself) it fails whatever
 * is still queued and runs {@code release} (frees the model and the backend) on its own thread,
 * so nothing is freed while a model call is in flight.
 */
final class BatchWorker implements Runnable {
    private final RequestQueue queue;
    private final BatchModel model;
    private final int maxBatch;
    private final long maxDelayNanos;
    private final Runnable release;
    private long batches, requests, encodeBatches, decodeBatches, failedBatches;
    private int largestBatch;

    BatchWorker(RequestQueue queue, BatchModel model, int maxBatch, long maxDelayNanos, Runnable release) {
        this.queue = queue;
        this.model = model;
        this.maxBatch = maxBatch;
        this.maxDelayNanos = maxDelayNanos;
        this.release = release;
    }

    @Override
    public void run() {
        Throwable died = null;
        try {
            while (true) {
                List<Request> batch;
                try {
                    batch = queue.nextBatch(maxBatch, maxDelayNanos);
                } catch (InterruptedException e) {
                    continue; // only close() stops the worker: an interrupt from elsewhere is not a shutdown
                }
                if (batch == null) return;
                runBatch(batch);
            }
        } catch (Throwable t) {
            died = t;
        } finally {
            try {
                IllegalStateException why = died == null ? VqCodec.closedError()
                        : new IllegalStateException("codec worker stopped: " + died, died);
                for (Request r : queue.close()) r.fail(why);
            } finally {
                release.run();
            }
        }
    }

    private void runBatch(List<Request> batch) {
        Request.Kind kind = batch.getFirst().kind;
        List<?> out = null;
        Throwable failure = null;
        try {
            out = kind == Request.Kind.ENCODE ? model.encode(inputs(batch, r -> r.image)) : model.decode(inputs(batch, r -> r.codes));
            if (out.size() != batch.size()) {
                throw new IllegalStateException("batch model returned " + out.size() + " results for " + batch.size() + " requests");
            }
        } catch (Throwable t) {
            failure = t;
        }
        count(kind, batch.size(), failure == null); // before completing: a caller who saw its result sees it counted
        for (int i = 0; i < batch.size(); i++) {
            Request r = batch.get(i);
            if (failure != null) r.fail(failure);
            else if (kind == Request.Kind.ENCODE) r.encoded.complete((int[]) out.get(i));
            else r.decoded.complete((float[]) out.get(i));
        }
    }

    private static <T> List<T> inputs(List<Request> batch, Function<Request, T> part) {
        List<T> in = new ArrayList<>(batch.size());
        for (Request r : batch) in.add(part.apply(r));
        return in;
    }

    private synchronized void count(Request.Kind kind, int size, boolean ok) {
        batches++;
        requests += size;
        if (kind == Request.Kind.ENCODE) encodeBatches++;
        else decodeBatches++;
        if (!ok) failedBatches++;
        largestBatch = Math.max(largestBatch, size);
    }

    synchronized CodecStats stats() {
        return new CodecStats(batches, requests, encodeBatches, decodeBatches, failedBatches, largestBatch);
    }
}
