package io.vq4j.ops.cpu;

/**
 * The hot loops of the CPU twins that have two implementations: {@link PortableKernels} (plain
 * Java that C2 auto-vectorises, always available) and VectorKernels (the incubating Vector API,
 * used when the JVM was started with {@code --add-modules jdk.incubator.vector}). {@link Kernels}
 * picks one, in one place. Both give the same bits for every input (the tests compare them), so
 * which one runs changes only the speed.
 */
public interface CpuKernels {
    /** A short name for logs and benchmark reports. */
    String name();

    /** {@link KlTerms#sum}: sum over [from, to) of the KL terms, fp32 terms summed in double. */
    double klSum(float[] mu, float[] logvar, int from, int to);

    /** {@link ReparamBlocks#sample}: z = mu + exp(logvar / 2) eps over [from, to); eps may be out. */
    void sample(float[] mu, float[] logvar, float[] eps, float[] out, int from, int to);

    /**
     * The normals of {@code blocks} whole Philox blocks with counters {@code q0, q0 + 1, ...}
     * (high words c2, c3 and key k0, k1): {@code out[o .. o + 4 * blocks)}, as {@link Philox#pair}.
     */
    void normalBlocks(long q0, int blocks, int c2, int c3, int k0, int k1, float[] out, int o);

    /**
     * Scores of {@code rows} vectors against one codebook tile ({@link CodeScores}):
     * {@code out[r * stride + off + j] = fma chain of x[r * d + c] * tile[c][j], c ascending,
     * starting from tile[d][j]} for j below the tile's width.
     */
    void scoreTile(float[][] tile, int d, float[] x, int rows, float[] out, int stride, int off);
}
