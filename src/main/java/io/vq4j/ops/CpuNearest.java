package io.vq4j.ops;

/** STUB: to be written. */
final class CpuNearest {
    private CpuNearest() {}

    static NearestCode nearestCode(VqLayout g, Tensor z, Tensor codebook, boolean withDistances) {
        throw new UnsupportedOperationException("not yet written");
    }

    static Quantized quantize(VqLayout g, Tensor z, Tensor codebook, Tensor indices) {
        throw new UnsupportedOperationException("not yet written");
    }

}
