package io.vq4j.ops.cpu;

import java.util.concurrent.ForkJoinPool;

/**
 * Convolution and transposed convolution, forward and backward, as im2col + {@link Gemm} on
 * row-major NCHW float arrays (PyTorch's weight layouts, dilation 1, groups 1).
 *
 * <p>With {@code rows = C*kh*kw} kernel taps and {@code P} window positions per image, a batch is
 * cut into groups of images whose column matrices sit side by side ({@code [rows, group*P]}),
 * so that deep layers with small spatial size still give the GEMM long rows (at least
 * {@link #TARGET_COLS} columns where the batch allows). Groups run in parallel, each with its own
 * buffers and a single-threaded GEMM; a batch that makes one group runs its GEMMs multithreaded
 * instead. Weight gradients are summed per chunk of groups and the chunks added in order, so
 * results are deterministic on a given machine.
 *
 * <p>Geometry: for conv2d, {@code g} describes the input image and the output size; for the
 * transposed convolution, the output image and the input size (it is conv2d's adjoint).
 */
public final class ConvCpu {
    private ConvCpu() {}

    /** Columns a group aims for: enough for the GEMM's vector loops to run long. */
    static final int TARGET_COLS = 512;
    /** Largest column matrix of a group (floats, 16 MiB), unless one image alone needs more. */
    static final long MAX_GROUP_FLOATS = 1L << 22;

    // ---- conv2d ---------------------------------------------------------------------------

    /** y[n, O, P] = w[O, rows] @ im2col(x[n]) + bias. g: x's image, the output size. */
    public static void conv2dForward(Im2col.Geometry g, int n, int outC, float[] x, float[] w, float[] bias, float[] y) {
        Groups gr = Groups.of(g, n);
        int rows = gr.rows, p = gr.p, img = (int) g.imageSize();
        Parallel.forRange(gr.count, gr.grain(), (lo, hi) -> {
            float[] cols = new float[gr.maxCols()];
            float[] out = gr.size > 1 ? new float[outC * gr.size * p] : null;
            for (int gi = lo; gi < hi; gi++) {
                int n0 = gr.first(gi), cnt = gr.count(gi, n), len = cnt * p;
                for (int s = 0; s < cnt; s++) Im2col.im2col(g, x, (n0 + s) * img, cols, s * p, len);
                if (cnt == 1) {
                    gemm(gr.parallelGemm, false, false, outC, p, rows, w, 0, rows, cols, 0, len, false, y, n0 * outC * p, p);
                } else {
                    gemm(gr.parallelGemm, false, false, outC, len, rows, w, 0, rows, cols, 0, len, false, out, 0, len);
                    scatter(out, n0, cnt, outC, p, y);
                }
                if (bias != null) addBias(y, n0, cnt, outC, p, bias);
            }
        });
    }

    /**
     * dx = col2im(w^T @ dy), dw = sum_n dy[n] @ im2col(x[n])^T, db = sums of dy per channel
     * (db may be null: no bias). dx, dw, db must be zero-filled.
     */
    public static void conv2dBackward(Im2col.Geometry g, int n, int outC, float[] dy, float[] x, float[] w,
                                      float[] dx, float[] dw, float[] db) {
        Groups gr = Groups.of(g, n);
        int rows = gr.rows, p = gr.p, img = (int) g.imageSize();
        if (db != null) channelSums(dy, n, outC, p, db);
        float[][] parts = new float[Parallel.chunkCount(gr.count, gr.grain())][];
        Parallel.forChunks(gr.count, gr.grain(), (chunk, lo, hi) -> {
            float[] part = chunk == 0 ? dw : new float[dw.length];
            parts[chunk] = part;
            float[] cols = new float[gr.maxCols()], dcols = new float[gr.maxCols()];
            float[] dyg = gr.size > 1 ? new float[outC * gr.size * p] : null;
            for (int gi = lo; gi < hi; gi++) {
                int n0 = gr.first(gi), cnt = gr.count(gi, n), len = cnt * p;
                for (int s = 0; s < cnt; s++) Im2col.im2col(g, x, (n0 + s) * img, cols, s * p, len);
                // dY of the group as [O, len]: in place for one image, gathered for several.
                float[] a = dy;
                int aOff = n0 * outC * p;
                if (cnt > 1) {
                    gather(dy, n0, cnt, outC, p, dyg);
                    a = dyg;
                    aOff = 0;
                }
                gemm(gr.parallelGemm, false, true, outC, rows, len, a, aOff, len, cols, 0, len, gi > lo, part, 0, rows);
                gemm(gr.parallelGemm, true, false, rows, len, outC, w, 0, rows, a, aOff, len, false, dcols, 0, len);
                for (int s = 0; s < cnt; s++) Im2col.col2im(g, dcols, s * p, len, dx, (n0 + s) * img);
            }
        });
        addParts(dw, parts);
    }

    // ---- transposed convolution ------------------------------------------------------------

    /**
     * y[n] = col2im(w^T @ x[n]) + bias, x {@code [n, inC, P]}, w {@code [inC, rows]}.
     * g: y's image, x's size. y must be zero-filled.
     */
    public static void convTransposeForward(Im2col.Geometry g, int n, int inC, float[] x, float[] w, float[] bias,
                                            float[] y) {
        Groups gr = Groups.of(g, n);
        int rows = gr.rows, p = gr.p, img = (int) g.imageSize(), outC = g.channels();
        int plane = g.height() * g.width();
        Parallel.forRange(gr.count, gr.grain(), (lo, hi) -> {
            float[] cols = new float[gr.maxCols()];
            float[] xg = gr.size > 1 ? new float[inC * gr.size * p] : null;
            for (int gi = lo; gi < hi; gi++) {
                int n0 = gr.first(gi), cnt = gr.count(gi, n), len = cnt * p;
                float[] b = x;
                int bOff = n0 * inC * p;
                if (cnt > 1) {
                    gather(x, n0, cnt, inC, p, xg);
                    b = xg;
                    bOff = 0;
                }
                gemm(gr.parallelGemm, true, false, rows, len, inC, w, 0, rows, b, bOff, len, false, cols, 0, len);
                for (int s = 0; s < cnt; s++) Im2col.col2im(g, cols, s * p, len, y, (n0 + s) * img);
                if (bias != null) addBias(y, n0, cnt, outC, plane, bias);
            }
        });
    }

    /**
     * dx[n] = w @ im2col(dy[n]), dw = sum_n x[n] @ im2col(dy[n])^T, db = sums of dy per channel
     * (may be null). g: dy's image, x's size. dw must be zero-filled.
     */
    public static void convTransposeBackward(Im2col.Geometry g, int n, int inC, float[] dy, float[] x, float[] w,
                                             float[] dx, float[] dw, float[] db) {
        Groups gr = Groups.of(g, n);
        int rows = gr.rows, p = gr.p, img = (int) g.imageSize();
        if (db != null) channelSums(dy, n, g.channels(), g.height() * g.width(), db);
        float[][] parts = new float[Parallel.chunkCount(gr.count, gr.grain())][];
        Parallel.forChunks(gr.count, gr.grain(), (chunk, lo, hi) -> {
            float[] part = chunk == 0 ? dw : new float[dw.length];
            parts[chunk] = part;
            float[] dcols = new float[gr.maxCols()];
            float[] xg = gr.size > 1 ? new float[inC * gr.size * p] : null;
            float[] dxg = gr.size > 1 ? new float[inC * gr.size * p] : null;
            for (int gi = lo; gi < hi; gi++) {
                int n0 = gr.first(gi), cnt = gr.count(gi, n), len = cnt * p;
                for (int s = 0; s < cnt; s++) Im2col.im2col(g, dy, (n0 + s) * img, dcols, s * p, len);
                if (cnt == 1) {
                    int off = n0 * inC * p;
                    gemm(gr.parallelGemm, false, false, inC, p, rows, w, 0, rows, dcols, 0, p, false, dx, off, p);
                    gemm(gr.parallelGemm, false, true, inC, rows, p, x, off, p, dcols, 0, p, gi > lo, part, 0, rows);
                } else {
                    gemm(gr.parallelGemm, false, false, inC, len, rows, w, 0, rows, dcols, 0, len, false, dxg, 0, len);
                    scatter(dxg, n0, cnt, inC, p, dx);
                    gather(x, n0, cnt, inC, p, xg);
                    gemm(gr.parallelGemm, false, true, inC, rows, len, xg, 0, len, dcols, 0, len, gi > lo, part, 0, rows);
                }
            }
        });
        addParts(dw, parts);
    }

    // ---- helpers --------------------------------------------------------------------------

    /** How a batch of n images is cut into groups, and who runs the GEMMs multithreaded. */
    private record Groups(int rows, int p, int size, int count, boolean parallelGemm) {
        static Groups of(Im2col.Geometry g, int n) {
            long rows = g.rows(), p = g.cols();
            if (rows * p > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("convolution too large for the CPU: one image's column matrix would be "
                        + rows + " x " + p + " floats (" + g + ")");
            }
            long size = Math.min(n, Math.ceilDiv(TARGET_COLS, p));
            size = Math.max(1, Math.min(size, MAX_GROUP_FLOATS / (rows * p)));
            int count = (int) Math.ceilDiv(n, size);
            return new Groups((int) rows, (int) p, (int) size, count, count == 1);
        }

        /**
         * Groups per parallel chunk: about two chunks per thread. Groups cost the same, and each
         * chunk allocates its own buffers (and, backward, a weight-gradient partial), so finer
         * chunks would only add allocation.
         */
        int grain() {
            int threads = ForkJoinPool.getCommonPoolParallelism() + 1;
            return Math.max(1, Math.ceilDiv(count, 2 * threads));
        }

        int first(int group) { return group * size; }
        int count(int group, int n) { return Math.min(size, n - group * size); }
        int maxCols() { return rows * size * p; }
    }

    private static void gemm(boolean parallel, boolean transA, boolean transB, int m, int n, int k,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             boolean accumulate, float[] c, int cOff, int ldc) {
        if (parallel) Gemm.sgemmParallel(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc);
        else Gemm.sgemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, accumulate, c, cOff, ldc);
    }

    /** dst[c, s*p + q] = src[n0 + s, c, q]: images n0.. side by side as one [ch, cnt*p] matrix. */
    static void gather(float[] src, int n0, int cnt, int ch, int p, float[] dst) {
        int len = cnt * p;
        for (int s = 0; s < cnt; s++) {
            for (int c = 0; c < ch; c++) System.arraycopy(src, ((n0 + s) * ch + c) * p, dst, c * len + s * p, p);
        }
    }

    /** The inverse of {@link #gather}. */
    static void scatter(float[] src, int n0, int cnt, int ch, int p, float[] dst) {
        int len = cnt * p;
        for (int s = 0; s < cnt; s++) {
            for (int c = 0; c < ch; c++) System.arraycopy(src, c * len + s * p, dst, ((n0 + s) * ch + c) * p, p);
        }
    }

    /** y[n0 + s, c, :] += bias[c]. */
    static void addBias(float[] y, int n0, int cnt, int ch, int plane, float[] bias) {
        for (int s = 0; s < cnt; s++) {
            for (int c = 0; c < ch; c++) {
                int off = ((n0 + s) * ch + c) * plane;
                float b = bias[c];
                for (int q = 0; q < plane; q++) y[off + q] += b;
            }
        }
    }

    /** out[c] = sum over n and the plane of dy[n, c, :], in double, parallel over channels. */
    public static void channelSums(float[] dy, int n, int ch, int plane, float[] out) {
        Parallel.forRange(ch, Math.max(1, (1 << 16) / Math.max(1, n * plane)), (lo, hi) -> {
            for (int c = lo; c < hi; c++) {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    int off = (i * ch + c) * plane;
                    for (int q = 0; q < plane; q++) s += dy[off + q];
                }
                out[c] = (float) s;
            }
        });
    }

    /** parts[0] is dst; adds parts[1..] into it in order. */
    private static void addParts(float[] dst, float[][] parts) {
        for (int c = 1; c < parts.length; c++) {
            float[] part = parts[c];
            for (int j = 0; j < dst.length; j++) dst[j] += part[j];
        }
    }
}
