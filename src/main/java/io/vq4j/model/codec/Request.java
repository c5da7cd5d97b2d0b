package io.vq4j.model.codec;

import java.util.concurrent.CompletableFuture;

/**
 * One caller's request: a validated, private copy of its input (an image already in the model's
 * range, or codes) and the future the worker completes. Exactly one of {@code image} / {@code codes}
 * is set, as {@code kind} says.
 */
final class Request {
    enum Kind { ENCODE, DECODE }

    final Kind kind;
    final float[] image;
    final int[] codes;
    final CompletableFuture<int[]> encoded;
    final CompletableFuture<float[]> decoded;
    /** System.nanoTime() at creation: the batch deadline counts from the oldest request's arrival. */
    final long createdNanos = System.nanoTime();

    private Request(Kind kind, float[] image, int[] codes) {
        this.kind = kind;
        this.image = image;
        this.codes = codes;
        this.encoded = kind == Kind.ENCODE ? new CompletableFuture<>() : null;
        this.decoded = kind == Kind.DECODE ? new CompletableFuture<>() : null;
    }

    static Request encode(float[] modelRangeImage) { return new Request(Kind.ENCODE, modelRangeImage, null); }

    static Request decode(int[] codes) { return new Request(Kind.DECODE, null, codes); }

    CompletableFuture<?> future() { return kind == Kind.ENCODE ? encoded : decoded; }

    /** Done already: completed, failed, or cancelled by its caller (then no batch needs to carry it). */
    boolean isDone() { return future().isDone(); }

    void fail(Throwable cause) { future().completeExceptionally(cause); }
}
