package io.vq4j.ops;

/** STUB: to be written. */
final class CudaNearest {
    private CudaNearest() {}

    static NearestCode nearestCode(CudaOps ops, VqLayout g, Tensor z, Tensor codebook, boolean withDistances) {
        throw new UnsupportedOperationException("not yet written");
    }

    static Quantized quantize(CudaOps ops, VqLayout g, Tensor z, Tensor codebook, Tensor indices) {
        throw new UnsupportedOperationException("not yet written");
    }

}
