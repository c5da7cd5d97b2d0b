package io.vq4j.data;

import io.vq4j.ops.cpu.Philox;

/**
 * A small stream of random numbers from Philox4x32-10, addressed by (seed, a, b, tag) alone: the
 * n-th draw of a stream is the same on every machine, in every run and in every thread, which is
 * what makes synthetic image i, the shuffle of epoch e and the augmentation of (epoch, index)
 * reproducible. Counter words: (block number, a, b, tag); key: the seed's two halves.
 * Not thread-safe: one instance per stream.
 */
final class CounterRng {
    /** Tags keep the streams of different uses apart even for equal (seed, a, b). */
    static final int TAG_SYNTHETIC = 0x53594E54, TAG_SHUFFLE = 0x53485546, TAG_AUGMENT = 0x41554731,
            TAG_SPLIT = 0x53504C54;

    private final int k0, k1, a, b, tag;
    private final int[] words = new int[4];
    private int block, lane = 4;

    CounterRng(long seed, int a, int b, int tag) {
        this.k0 = (int) seed;
        this.k1 = (int) (seed >>> 32);
        this.a = a;
        this.b = b;
        this.tag = tag;
    }

    /** The next 32 random bits. */
    int nextInt() {
        if (lane == 4) {
            Philox.block(block++, a, b, tag, k0, k1, words);
            lane = 0;
        }
        return words[lane++];
    }

    /** Uniform in (0, 1). */
    float nextFloat() {
        return Philox.uniform(nextInt());
    }

    /** Uniform in [lo, hi). */
    float uniform(float lo, float hi) {
        return lo + (hi - lo) * nextFloat();
    }

    /**
     * Uniform in [0, bound) by multiply-shift (Lemire); the bias is below bound / 2^32, far below
     * anything a shuffle or a shape choice can show, and it keeps every draw to exactly one word.
     */
    int nextInt(int bound) {
        return (int) (((nextInt() & 0xFFFFFFFFL) * bound) >>> 32);
    }

    /** True with probability p. */
    boolean chance(float p) {
        return nextFloat() < p;
    }

    /** A permutation of [0, n) by Fisher-Yates on the stream (seed, a, 0, tag). */
    static int[] permutation(int n, long seed, int a, int tag) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        CounterRng r = new CounterRng(seed, a, 0, tag);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
