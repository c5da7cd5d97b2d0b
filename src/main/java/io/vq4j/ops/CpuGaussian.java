package io.vq4j.ops;

/** STUB: to be written. */
final class CpuGaussian {
    private CpuGaussian() {}

    static Tensor standardNormal(long seed, long offset, int[] shape) {
        throw new UnsupportedOperationException("not yet written");
    }

    static Reparameterized reparameterize(Tensor mu, Tensor logvar, long seed, long offset, boolean storeEps) {
        throw new UnsupportedOperationException("not yet written");
    }

    static GaussianGrads reparameterizeBackward(Tensor gradZ, Tensor logvar, long seed, long offset) {
        throw new UnsupportedOperationException("not yet written");
    }

    static GaussianGrads reparameterizeBackward(Tensor gradZ, Tensor logvar, Tensor eps) {
        throw new UnsupportedOperationException("not yet written");
    }

    static Tensor klDivergence(Tensor mu, Tensor logvar, KlReduction reduction) {
        throw new UnsupportedOperationException("not yet written");
    }

    static GaussianGrads klBackward(Tensor mu, Tensor logvar, float weight) {
        throw new UnsupportedOperationException("not yet written");
    }

}
