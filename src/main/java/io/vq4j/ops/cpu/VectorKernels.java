package io.vq4j.ops.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;

/**
 * {@link CpuKernels} on the incubating Vector API (jdk.incubator.vector): the same formulas as
 * {@link PortableKernels}, lane for lane, so the same bits, but with each element's whole
 * computation in registers instead of a dozen passes over scratch arrays (C2 only vectorises
 * simple loops, so the portable code splits every formula into them), and with the nearest-code
 * scores register-blocked over several vectors. Only {@link Kernels} loads this class, and only
 * when the module is present.
 */
final class VectorKernels implements CpuKernels, Kernels.VectorFit {
    @Override public String name() { return "vector-api-" + FloatVector.SPECIES_PREFERRED.vectorBitSize(); }

    @Override public String unfit() {
        int bits = VectorShape.preferredShape().vectorBitSize();
        return bits >= 256 ? null : "the CPU's vectors are " + bits + " bits (the Vector API loops need 256 or more to pay)";
    }

    @Override public double klSum(float[] mu, float[] logvar, int from, int to) {
        return VectorKl.sum(mu, logvar, from, to);
    }

    @Override public void sample(float[] mu, float[] logvar, float[] eps, float[] out, int from, int to) {
        VectorSample.sample(mu, logvar, eps, out, from, to);
    }

    @Override public void normalBlocks(long q0, int blocks, int c2, int c3, int k0, int k1, float[] out, int o) {
        VectorNormals.blocks(q0, blocks, c2, c3, k0, k1, out, o);
    }

    @Override public void scoreTile(float[][] tile, int d, float[] x, int rows, float[] out, int stride, int off) {
        VectorScores.scoreTile(tile, d, x, rows, out, stride, off);
    }
}
