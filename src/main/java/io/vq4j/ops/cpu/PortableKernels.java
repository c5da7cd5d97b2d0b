package io.vq4j.ops.cpu;

/**
 * The plain-Java {@link CpuKernels}: loops written so that C2 auto-vectorises them (see each
 * delegate's comment). The reference the Vector API implementation must match bit for bit.
 */
public final class PortableKernels implements CpuKernels {
    @Override public String name() { return "portable"; }

    @Override public double klSum(float[] mu, float[] logvar, int from, int to) {
        return KlTerms.sum(mu, logvar, from, to);
    }

    @Override public void sample(float[] mu, float[] logvar, float[] eps, float[] out, int from, int to) {
        ReparamBlocks.sample(mu, logvar, eps, out, from, to);
    }

    @Override public void normalBlocks(long q0, int blocks, int c2, int c3, int k0, int k1, float[] out, int o) {
        Philox.laneBlocks(q0, blocks, c2, c3, k0, k1, out, o);
    }

    @Override public void scoreTile(float[][] tile, int d, float[] x, int rows, float[] out, int stride, int off) {
        CodeScores.scoreTilePortable(tile, d, x, rows, out, stride, off);
    }
}
