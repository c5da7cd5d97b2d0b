package io.vq4j.ops;

/** STUB: to be written. */
final class CpuCodebook {
    private CpuCodebook() {}

    static VqGrads backward(VqLayout g, Tensor gradOut, Tensor z, Tensor codebook, Tensor indices, float beta) {
        throw new UnsupportedOperationException("not yet written");
    }

    static Tensor codeCounts(Tensor indices, int k) {
        throw new UnsupportedOperationException("not yet written");
    }

    static CodebookStats codebookStats(Tensor counts, double deadThreshold) {
        throw new UnsupportedOperationException("not yet written");
    }

    static void emaUpdate(VqLayout g, Tensor z, Tensor indices, Tensor codebook, EmaState state, float decay, float epsilon) {
        throw new UnsupportedOperationException("not yet written");
    }

    static int reviveDeadCodes(VqLayout g, Tensor codebook, Tensor usage, float threshold, Tensor z, long seed, EmaState ema) {
        throw new UnsupportedOperationException("not yet written");
    }

}
