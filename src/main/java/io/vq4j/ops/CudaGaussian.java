package io.vq4j.ops;

/** STUB: to be written. */
final class CudaGaussian {
    private CudaGaussian() {}

    static Tensor standardNormal(CudaOps ops, long seed, long offset, int[] shape) {
        throw new UnsupportedOperationException("not yet written");
    }

    static Reparameterized reparameterize(CudaOps ops, Tensor mu, Tensor logvar, long seed, long offset, boolean storeEps) {
        throw new UnsupportedOperationException("not yet written");
    }

    static GaussianGrads reparameterizeBackward(CudaOps ops, Tensor gradZ, Tensor logvar, long seed, long offset) {
        throw new UnsupportedOperationException("not yet written");
    }

    static GaussianGrads reparameterizeBackward(CudaOps ops, Tensor gradZ, Tensor logvar, Tensor eps) {
        throw new UnsupportedOperationException("not yet written");
    }

    static Tensor klDivergence(CudaOps ops, Tensor mu, Tensor logvar, KlReduction reduction) {
        throw new UnsupportedOperationException("not yet written");
    }

    static GaussianGrads klBackward(CudaOps ops, Tensor mu, Tensor logvar, float weight) {
        throw new UnsupportedOperationException("not yet written");
    }

}
