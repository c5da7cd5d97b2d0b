package io.vq4j.ops.cpu;

import java.util.Arrays;

/**
 * Blocked single-precision GEMM on row-major float arrays, the workhorse of the CPU layer twins:
 * {@code C[m, n] (+)= op(A)[m, k] @ op(B)[k, n]}, where {@code op(A)} reads A as stored
 * {@code [m, k]} or, transposed, {@code [k, m]}; likewise B as {@code [k, n]} or {@code [n, k]}.
 *
 * <h2>How it is fast without the Vector API</h2>
 * C2 auto-vectorises a loop only when it can prove that its loads and stores do not overlap
 * across iterations. With two float[] references at different unknown offsets ({@code c[ci+j]}
 * and {@code b[bi+j]}) it cannot (they might be the same array), and the loop stays scalar
 * (measured on this machine's Zen 3: ~2 GFLOP/s against ~25 for the same axpy at offset 0). So
 * the inner loop only ever indexes separate row arrays at the same index {@code j}: a
 * KC x NC block of op(B) is packed into {@code float[KC][NC]} row arrays, one row of C
 * accumulates in a private {@code float[NC]}, and each pass adds eight rank-1 updates
 * ({@code c[j] += a0*b0[j] + ... + a7*b7[j]}): 9 vector loads and 1 store feed 16 flops.
 * Measured alternatives: four B rows ~29 GFLOP/s, two C rows at once ~18 (two store streams),
 * eight B rows ~33 (1 thread, 1024^3). The packed block (256 KiB) sits in a Zen 3 core's L2.
 *
 * <p>Deterministic: each element of C is summed in the same order for a given shape, whatever
 * the thread count (threads split C, never K).
 */
public final class Gemm {
    private Gemm() {}

    static final int KC = 256, NC = 256;

    /** Below this many multiply-adds a GEMM runs on the calling thread (a fork costs microseconds). */
    private static final long PARALLEL_MIN_FMAS = 1L << 18;

    /** Per-thread packing buffers, reused across calls (fork-join workers live as long as the pool). */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        final float[][] bp = new float[KC][NC];
        final float[] acc = new float[NC];
    }

    /**
     * {@code C = op(A) @ op(B)}, or {@code C += op(A) @ op(B)} when {@code accumulate}, on the
     * calling thread. {@code lda, ldb, ldc} are the row strides of A, B, C as stored; offsets are
     * where element (0, 0) of each sits.
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             boolean accumulate, float[] c, int cOff, int ldc) {
        block(transA, transB, 0, m, 0, n, k, a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc);
    }

    /**
     * As {@link #sgemm}, split over threads (each thread owns a block of C, so there is no
     * reduction and the result is bitwise that of {@link #sgemm}). Wide C splits by columns, at
     * least 256 a thread so the inner loops stay long and each thread packs only its part of B;
     * narrow C by rows (each thread then packs all of B, cheap against its share of the work).
     */
    public static void sgemmParallel(boolean transA, boolean transB, int m, int n, int k,
                                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                     boolean accumulate, float[] c, int cOff, int ldc) {
        if ((long) m * n * k < PARALLEL_MIN_FMAS) {
            sgemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc);
        } else if (n >= 512) {
            int blocks = (n + 63) / 64;
            Parallel.forRange(blocks, 4, (lo, hi) -> block(transA, transB, 0, m, lo * 64, Math.min(n, hi * 64), k,
                    a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc));
        } else {
            int blocks = (m + 7) / 8;
            Parallel.forRange(blocks, 1, (lo, hi) -> block(transA, transB, lo * 8, Math.min(m, hi * 8), 0, n, k,
                    a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc));
        }
    }

    /** Rows [i0, i1) x columns [j0, j1) of C. */
    private static void block(boolean transA, boolean transB, int i0, int i1, int j0, int j1, int k,
                              float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                              boolean accumulate, float[] c, int cOff, int ldc) {
        if (i0 >= i1 || j0 >= j1) return;
        if (k == 0) {
            if (!accumulate) {
                for (int i = i0; i < i1; i++) Arrays.fill(c, cOff + i * ldc + j0, cOff + i * ldc + j1, 0f);
            }
            return;
        }
        // A(i, p) sits at a[aOff + i*sai + p*sap].
        int sai = transA ? 1 : lda, sap = transA ? lda : 1;
        Scratch s = SCRATCH.get();
        float[][] bp = s.bp;
        float[] acc = s.acc;
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                packB(transB, b, bOff, ldb, pc, kc, jc, nc, bp);
                boolean overwrite = pc == 0 && !accumulate;
                for (int i = i0; i < i1; i++) {
                    Arrays.fill(acc, 0, nc, 0f);
                    panel(acc, nc, kc, a, aOff + i * sai + pc * sap, sap, bp);
                    int ci = cOff + i * ldc + jc;
                    if (overwrite) {
                        System.arraycopy(acc, 0, c, ci, nc);
                    } else {
                        // O(m*n) per K block against O(m*n*KC) multiply-adds: scalar is fine.
                        for (int j = 0; j < nc; j++) c[ci + j] += acc[j];
                    }
                }
            }
        }
    }

    /** bp[p][j] = op(B)(pc + p, jc + j). */
    private static void packB(boolean transB, float[] b, int bOff, int ldb, int pc, int kc, int jc, int nc, float[][] bp) {
        if (!transB) {
            for (int p = 0; p < kc; p++) System.arraycopy(b, bOff + (pc + p) * ldb + jc, bp[p], 0, nc);
        } else {
            // B stored [n, k]: a transpose. Eight stored rows at a time, so that each bp row
            // receives eight adjacent floats per pass instead of one (cache lines, not words).
            int j = 0;
            for (; j + 8 <= nc; j += 8) {
                int s0 = bOff + (jc + j) * ldb + pc;
                for (int p = 0; p < kc; p++) {
                    float[] row = bp[p];
                    int s = s0 + p;
                    row[j] = b[s];
                    row[j + 1] = b[s + ldb];
                    row[j + 2] = b[s + 2 * ldb];
                    row[j + 3] = b[s + 3 * ldb];
                    row[j + 4] = b[s + 4 * ldb];
                    row[j + 5] = b[s + 5 * ldb];
                    row[j + 6] = b[s + 6 * ldb];
                    row[j + 7] = b[s + 7 * ldb];
                }
            }
            for (; j < nc; j++) {
                int src = bOff + (jc + j) * ldb + pc;
                for (int p = 0; p < kc; p++) bp[p][j] = b[src + p];
            }
        }
    }

    /** acc[0, nc) += sum_p A(i, pc + p) * bp[p][0, nc), with A(i, pc + p) at a[ai + p*sap]. */
    private static void panel(float[] acc, int nc, int kc, float[] a, int ai, int sap, float[][] bp) {
        int p = 0;
        for (; p + 8 <= kc; p += 8) {
            int q = ai + p * sap;
            rank8(acc, nc, a[q], a[q + sap], a[q + 2 * sap], a[q + 3 * sap],
                    a[q + 4 * sap], a[q + 5 * sap], a[q + 6 * sap], a[q + 7 * sap],
                    bp[p], bp[p + 1], bp[p + 2], bp[p + 3], bp[p + 4], bp[p + 5], bp[p + 6], bp[p + 7]);
        }
        for (; p < kc; p++) rank1(acc, nc, a[ai + p * sap], bp[p]);
    }

    // The micro-kernels: the same index j in every array, so C2 vectorises them.

    private static void rank8(float[] c, int n, float x0, float x1, float x2, float x3,
                              float x4, float x5, float x6, float x7,
                              float[] b0, float[] b1, float[] b2, float[] b3,
                              float[] b4, float[] b5, float[] b6, float[] b7) {
        for (int j = 0; j < n; j++) {
            c[j] += ((x0 * b0[j] + x1 * b1[j]) + (x2 * b2[j] + x3 * b3[j]))
                    + ((x4 * b4[j] + x5 * b5[j]) + (x6 * b6[j] + x7 * b7[j]));
        }
    }

    private static void rank1(float[] c, int n, float x0, float[] b0) {
        for (int j = 0; j < n; j++) c[j] += x0 * b0[j];
    }
}
