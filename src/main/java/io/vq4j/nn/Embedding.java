package io.vq4j.nn;

/**
 * The codebook holder of a {@link VectorQuantizer}, standing in for PyTorch's
 * {@code nn.Embedding(K, D)} so the key is "embedding.weight" and it comes after the quantizer's
 * own buffers in the state dict, as in PyTorch. Initialised {@code U(-1/K, 1/K)} (the VQ-VAE's
 * codebook initialisation, not nn.Embedding's N(0, 1)).
 */
public final class Embedding extends Module {
    private final Parameter weight;

    public Embedding(Backend backend, Init init, int numEmbeddings, int dim, boolean requiresGrad) {
        super(backend);
        if (numEmbeddings < 1 || dim < 1) {
            throw new IllegalArgumentException("Embedding: K and D must be >= 1, got " + numEmbeddings + ", " + dim);
        }
        this.weight = addParameter("weight", init.uniform(numEmbeddings * dim, 1.0 / numEmbeddings), requiresGrad,
                numEmbeddings, dim);
    }

    public Parameter weight() { return weight; }
}
