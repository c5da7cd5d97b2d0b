package io.vq4j.ops;

/**
 * The op facade: every fused VQ and Gaussian op of vq4j, with a pure-Java implementation
 * ({@link CpuOps}, the fallback and the test reference) and a CUDA one ({@link CudaOps}).
 * {@link Backends#get()} picks one in one place.
 *
 * <h2>Layouts</h2>
 * z is either rows {@code [N, D]} or channel-first {@code [B, D, H, W]} (what a conv encoder
 * produces), read in place without a permute. In both, the vector index is {@code n = b*S + s}
 * (S = H*W, or 1 for rows) and element (n, d) sits at {@code (b*D + d)*S + s}. Per-vector
 * outputs (indices, distances) have shape {@code [N]} or {@code [B, H, W]}; per-element outputs
 * have z's shape. The codebook is {@code [K, D]}.
 *
 * <h2>Errors</h2>
 * Bad arguments (null, wrong dtype, wrong rank, mismatched D or shapes, K = 0, N = 0, a tensor of
 * the other backend, indices outside [0, K), NaN or Inf in z or the codebook where an op searches
 * them) raise {@link IllegalArgumentException} naming the argument and the shapes or values.
 * Device failures raise {@link io.vq4j.cuda.CudaException}. Checks that need the device's answer
 * (indices in range, finiteness) cost one tiny read-back; {@code -Dvq4j.checks=false} skips them
 * (kernels still never read or write out of bounds).
 *
 * <h2>Ownership</h2>
 * Returned tensors belong to the caller (close them; device memory is never left to the GC).
 * Inputs are never modified except where an op says "in place".
 */
public interface Ops extends AutoCloseable {

    /** "cpu" or "cuda". */
    String name();

    // ---- memory ---------------------------------------------------------------------------

    /** A copy of {@code t} in this backend's memory (host tensors for cpu, device for cuda). */
    Tensor upload(Tensor t);

    /** A zero-filled tensor in this backend's memory. */
    Tensor zeros(DType dtype, int... shape);

    /** Waits for queued work (a no-op on the CPU). */
    void synchronize();

    // ---- vector quantization ------------------------------------------------------------

    /**
     * Fused distance + argmin: for each vector z_n the index of the codebook row e_k minimising
     * {@code ||z_n - e_k||^2} (ties go to the lowest index), and optionally that distance.
     * The N x K distance matrix is never allocated.
     */
    NearestCode nearestCode(Tensor z, Tensor codebook, boolean withDistances);

    /**
     * {@link #nearestCode} and the gather {@code zq = e[idx]} (z's layout) in one op: what an
     * inference-time quantizer needs, without the straight-through output and losses of
     * {@link #quantize}. The indices are those of {@code nearestCode(z, codebook, false)}, and zq
     * equals {@code quantize(z, codebook, indices).zq()}.
     */
    NearestQuantized nearestQuantize(Tensor z, Tensor codebook);

    /**
     * Gathers {@code zq = e[idx]} and the straight-through output {@code z + (zq - z)} in z's
     * layout, and the losses {@code [codebookLoss, commitmentLoss]}, both {@code mean((z - zq)^2)}
     * over the N*D elements, in the same pass.
     */
    Quantized quantize(Tensor z, Tensor codebook, Tensor indices);

    /**
     * Backward of the VQ layer for loss = recon + codebookLoss + beta * commitmentLoss:
     * {@code gradZ = gradOut + beta * 2/(N*D) * (z - zq)} (straight-through), and
     * {@code gradCodebook[k] = 2/(N*D) * sum_{n: idx_n = k} (e_k - z_n)} as a segment sum (no
     * one-hot product), plus per-code counts. {@code deterministic} gives bitwise-identical
     * results run to run (the CPU is always deterministic).
     */
    VqGrads vqBackward(Tensor gradOut, Tensor z, Tensor codebook, Tensor indices, float beta, boolean deterministic);

    /** Per-code counts of {@code indices} (I32 {@code [K]}). */
    Tensor codeCounts(Tensor indices, int k);

    /**
     * Perplexity, active and dead codes from per-code counts ({@code [K]}, I32 batch counts or
     * F32 EMA cluster sizes). A code is dead when its count is below {@code deadThreshold}.
     * Reads its answer back to the host.
     */
    CodebookStats codebookStats(Tensor counts, double deadThreshold);

    /**
     * EMA codebook update, in place on {@code codebook} and {@code state} (reference VQ-VAE EMA,
     * with n_k the batch count and s_k the batch sum of the vectors assigned to code k):
     * <pre>
     *   N_k  = decay * N_k + (1 - decay) * n_k
     *   m_k  = decay * m_k + (1 - decay) * s_k
     *   n    = sum_k N_k
     *   N'_k = (N_k + epsilon) / (n + K * epsilon) * n        (Laplace smoothing)
     *   e_k  = m_k / N'_k
     * </pre>
     * {@code state.clusterSize} keeps the unsmoothed N_k.
     */
    void emaUpdate(Tensor z, Tensor indices, Tensor codebook, EmaState state, float decay, float epsilon);

    /**
     * Dead-code revival, in place: every code whose {@code usage} (I32 or F32 {@code [K]}) is below
     * {@code threshold} is replaced by a vector of the current batch z, row
     * {@code philoxUniformIndex(seed, k) mod N} (the same rows on every backend). When
     * {@code ema} is given, the revived code's statistics restart there too
     * ({@code clusterSize = 1, embedSum = the vector}). Returns the number of codes revived.
     */
    int reviveDeadCodes(Tensor codebook, Tensor usage, float threshold, Tensor z, long seed, EmaState ema);

    // ---- Gaussian latent ------------------------------------------------------------------

    /**
     * Standard normal noise from the counter-based generator (Philox4x32-10, key = seed, counter
     * from offset and the element index; Box-Muller), identical (to float rounding) on every
     * backend. Element i of a tensor drawn with {@code (seed, offset)} is element i of
     * {@code standardNormal(seed, offset, ...)} of any shape with at least i+1 elements.
     */
    Tensor standardNormal(long seed, long offset, int... shape);

    /**
     * {@code z = mu + exp(logvar / 2) * eps} with eps = {@link #standardNormal}(seed, offset)
     * drawn in the kernel. With {@code storeEps} the noise is returned too.
     */
    Reparameterized reparameterize(Tensor mu, Tensor logvar, long seed, long offset, boolean storeEps);

    /**
     * Backward of {@link #reparameterize}: {@code dMu = gradZ},
     * {@code dLogvar = gradZ * eps * exp(logvar / 2) / 2}, regenerating eps from (seed, offset).
     */
    GaussianGrads reparameterizeBackward(Tensor gradZ, Tensor logvar, long seed, long offset);

    /** Backward of {@link #reparameterize} from a stored eps instead of regenerating it. */
    GaussianGrads reparameterizeBackward(Tensor gradZ, Tensor logvar, Tensor eps);

    /** KL divergence to N(0, I): {@code -1/2 * (1 + logvar - mu^2 - exp(logvar))}, reduced as asked. */
    Tensor klDivergence(Tensor mu, Tensor logvar, KlReduction reduction);

    /**
     * Backward of the KL term scaled by {@code weight} (e.g. kld_weight, times 1/B for MEAN):
     * {@code dMu = weight * mu}, {@code dLogvar = weight * (exp(logvar) - 1) / 2}.
     */
    GaussianGrads klBackward(Tensor mu, Tensor logvar, float weight);

    /**
     * One VAE latent step forward in one pass over mu and logvar: {@code z} as
     * {@link #reparameterize}{@code (mu, logvar, seed, offset, false)} and {@code kl} as
     * {@link #klDivergence}{@code (mu, logvar, reduction)}, to float rounding.
     */
    GaussianLatentStep gaussianLatentForward(Tensor mu, Tensor logvar, long seed, long offset, KlReduction reduction);

    /**
     * Backward of {@link #gaussianLatentForward} for loss = f(z) + klWeight * KL, in one pass:
     * {@code dMu = gradZ + klWeight * mu},
     * {@code dLogvar = gradZ * eps * exp(logvar / 2) / 2 + klWeight * (exp(logvar) - 1) / 2}, eps
     * regenerated from (seed, offset); the sum of {@link #reparameterizeBackward}{@code (gradZ, logvar, seed, offset)}
     * and {@link #klBackward}{@code (mu, logvar, klWeight)}.
     */
    GaussianGrads gaussianLatentBackward(Tensor gradZ, Tensor mu, Tensor logvar, long seed, long offset, float klWeight);

    /** Frees this backend's own resources (not the tensors it returned). Idempotent. */
    @Override
    void close();
}
