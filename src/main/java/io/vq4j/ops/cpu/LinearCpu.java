package io.vq4j.ops.cpu;

/**
 * The linear layer {@code y = x @ w^T + b} (PyTorch's {@code nn.Linear}: w is {@code [out, in]})
 * and its gradients, on row-major float arrays through {@link Gemm}.
 */
public final class LinearCpu {
    private LinearCpu() {}

    /** y[n, out] = x[n, in] @ w[out, in]^T + bias (bias may be null). */
    public static void forward(int n, int in, int out, float[] x, float[] w, float[] bias, float[] y) {
        Gemm.sgemmParallel(false, true, n, out, in, x, 0, in, w, 0, in, false, y, 0, out);
        if (bias != null) {
            Parallel.forRange(n, Math.max(1, 8192 / out), (lo, hi) -> {
                for (int i = lo; i < hi; i++) addRow(y, i * out, bias, out);
            });
        }
    }

    /** dx = dy @ w, dw = dy^T @ x, db = column sums of dy (db may be null). */
    public static void backward(int n, int in, int out, float[] dy, float[] x, float[] w,
                                float[] dx, float[] dw, float[] db) {
        Gemm.sgemmParallel(false, false, n, in, out, dy, 0, out, w, 0, in, false, dx, 0, in);
        Gemm.sgemmParallel(true, false, out, in, n, dy, 0, out, x, 0, in, false, dw, 0, in);
        if (db != null) ConvCpu.channelSums(dy, n, out, 1, db);
    }

    /** y[off, off + len) += b[0, len). Scalar (two offsets), O(n*out) against the GEMM's O(n*out*in). */
    private static void addRow(float[] y, int off, float[] b, int len) {
        for (int j = 0; j < len; j++) y[off + j] += b[j];
    }
}
