package io.vq4j.ops;

/**
 * The geometry of a VQ op, shared by every backend: z holds {@code n = batch * spatial} vectors of
 * length {@code d}; element (n, c) sits at {@code (b*d + c)*spatial + s} with {@code n = b*spatial + s}.
 * Rows {@code [N, D]} are {@code batch = N, spatial = 1}; NCHW {@code [B, D, H, W]} is
 * {@code batch = B, spatial = H*W}. {@code indexShape} is the shape of per-vector outputs.
 */
public record VqLayout(int batch, int spatial, int d, int k, int[] indexShape) {
    /** Number of vectors. */
    public long n() { return (long) batch * spatial; }

    /** Offset of element (vector n, component c) in z's storage. */
    public long offset(long n, int c) {
        long b = n / spatial, s = n - b * spatial;
        return (b * d + c) * spatial + s;
    }

    /** z's layout from its shape (rank 2 or 4), with D checked against the codebook's. */
    static VqLayout of(Tensor z, Tensor codebook) {
        int[] zs = z.shape();
        int d = codebook.dim(1), k = codebook.dim(0);
        if (zs.length == 2) {
            if (zs[1] != d) throw new IllegalArgumentException("z " + z.shapeString() + " has D = " + zs[1]
                    + " but codebook " + codebook.shapeString() + " has D = " + d);
            return new VqLayout(zs[0], 1, d, k, new int[] {zs[0]});
        }
        if (zs[1] != d) throw new IllegalArgumentException("z " + z.shapeString() + " (NCHW) has D = " + zs[1]
                + " channels but codebook " + codebook.shapeString() + " has D = " + d);
        long spatial = (long) zs[2] * zs[3];
        if (spatial > Integer.MAX_VALUE) throw new IllegalArgumentException("z " + z.shapeString() + ": H*W too large");
        return new VqLayout(zs[0], (int) spatial, d, k, new int[] {zs[0], zs[2], zs[3]});
    }
}
