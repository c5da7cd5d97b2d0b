package io.vq4j.nn;

import io.vq4j.ops.CodebookStats;
import io.vq4j.ops.DType;
import io.vq4j.ops.EmaState;
import io.vq4j.ops.LossAndGrad;
import io.vq4j.ops.NearestCode;
import io.vq4j.ops.Quantized;
import io.vq4j.ops.Tensor;
import io.vq4j.ops.VqGrads;

/**
 * The VQ-VAE bottleneck: for each vector of z ({@code [N, D]} rows or {@code [B, D, H, W]}) the
 * nearest code, and the straight-through output {@code z + sg(zq - z)}. Parameter
 * "embedding.weight" {@code [K, D]}; with EMA also buffers "ema_cluster_size" {@code [K]} and
 * "ema_w" {@code [K, D]}, and the codebook gets no gradient.
 *
 * <p>Losses: codebook = commitment = {@code mean((z - zq)^2)}; {@link #loss()} is
 * {@code codebook + beta * commitment}, or with EMA {@code beta * commitment} (the codebook is
 * trained by the moving averages, not the loss, as in the reference VectorQuantizerEMA).
 * {@link #backward} gives {@code gradOut + beta * d(commitment)/dz} (straight-through) and the
 * codebook gradient (none with EMA).
 *
 * <p>Per step, after backward (and after the optimizer step), the trainer calls
 * {@link #afterStep()}: the EMA codebook update and dead-code revival happen there. With
 * {@code kmeansInit} the first training forward first fits the codebook to that batch by k-means.
 *
 * <p>Tensors: indices, losses, loss and counts are owned by the layer, like its output (valid until
 * the next forward / backward / close). Reading them (item(), {@link #codebookStats}) syncs.
 */
public final class VectorQuantizer extends Layer {

    /**
     * @param numEmbeddings     K, codes
     * @param embeddingDim      D, the code length (z's channels or row length)
     * @param beta              commitment weight (0.25)
     * @param ema               EMA codebook updates instead of codebook gradients
     * @param decay             EMA decay (0.99)
     * @param eps               EMA Laplace smoothing (1e-5)
     * @param deadCodeThreshold revive codes whose usage (batch count, or EMA cluster size) is below
     *                          this after each step; 0 turns revival off. Revival reads a count back.
     * @param kmeansInit        fit the codebook to the first training batch by k-means
     * @param kmeansIterations  Lloyd iterations for that (10)
     * @param deterministic     bitwise-reproducible codebook gradients on the GPU
     */
    public record Config(int numEmbeddings, int embeddingDim, float beta, boolean ema, float decay, float eps,
                         float deadCodeThreshold, boolean kmeansInit, int kmeansIterations, boolean deterministic) {
        public Config {
            if (numEmbeddings < 1) throw new IllegalArgumentException("numEmbeddings must be >= 1, got " + numEmbeddings);
            if (embeddingDim < 1) throw new IllegalArgumentException("embeddingDim must be >= 1, got " + embeddingDim);
            if (!(beta >= 0) || Float.isInfinite(beta)) throw new IllegalArgumentException("beta must be finite and >= 0, got " + beta);
            if (!(decay >= 0 && decay <= 1)) throw new IllegalArgumentException("decay must be in [0, 1], got " + decay);
            if (!(eps >= 0) || Float.isInfinite(eps)) throw new IllegalArgumentException("eps must be finite and >= 0, got " + eps);
            if (!(deadCodeThreshold >= 0) || Float.isInfinite(deadCodeThreshold)) {
                throw new IllegalArgumentException("deadCodeThreshold must be finite and >= 0, got " + deadCodeThreshold);
            }
            if (kmeansIterations < 0) throw new IllegalArgumentException("kmeansIterations must be >= 0, got " + kmeansIterations);
        }

        /** The contract's defaults: beta 0.25, no EMA (decay 0.99, eps 1e-5), no revival, no k-means, deterministic. */
        public static Config of(int numEmbeddings, int embeddingDim) {
            return new Config(numEmbeddings, embeddingDim, 0.25f, false, 0.99f, 1e-5f, 0f, false, 10, true);
        }

        public Config withBeta(float b) {
            return new Config(numEmbeddings, embeddingDim, b, ema, decay, eps, deadCodeThreshold, kmeansInit, kmeansIterations, deterministic);
        }

        public Config withEma(boolean on) {
            return new Config(numEmbeddings, embeddingDim, beta, on, decay, eps, deadCodeThreshold, kmeansInit, kmeansIterations, deterministic);
        }

        public Config withDeadCodeThreshold(float t) {
            return new Config(numEmbeddings, embeddingDim, beta, ema, decay, eps, t, kmeansInit, kmeansIterations, deterministic);
        }

        public Config withKmeansInit(boolean on) {
            return new Config(numEmbeddings, embeddingDim, beta, ema, decay, eps, deadCodeThreshold, on, kmeansIterations, deterministic);
        }

        public Config withDeterministic(boolean on) {
            return new Config(numEmbeddings, embeddingDim, beta, ema, decay, eps, deadCodeThreshold, kmeansInit, kmeansIterations, on);
        }
    }

    private final Config config;
    private final long seed;
    private final Buffer emaClusterSize, emaW;
    private final Embedding embedding;
    private boolean initialized;
    private long steps;

    // owned per step
    private Tensor z;              // the input (caller's), kept for backward and afterStep
    private Tensor indices, losses, loss, counts;

    /** {@code seed} drives dead-code revival and k-means seeding (the codebook draws from {@code init}). */
    public VectorQuantizer(Backend backend, Init init, Config config, long seed) {
        super(backend);
        if (config == null) throw new IllegalArgumentException("config must not be null");
        this.config = config;
        this.seed = seed;
        int k = config.numEmbeddings(), d = config.embeddingDim();
        try {
            Embedding e = new Embedding(backend, init, k, d, !config.ema());
            // registered before building the buffers, so a failure below still frees the codebook
            this.embedding = addChild("embedding", e);
            if (config.ema()) {
                this.emaClusterSize = addBuffer("ema_cluster_size", new float[k], k);
                this.emaW = addBuffer("ema_w", embedding.weight().value().toFloatArray(), k, d);
            } else {
                this.emaClusterSize = null;
                this.emaW = null;
            }
        } catch (RuntimeException ex) {
            close(); // frees what was allocated before the failure
            throw ex;
        }
        this.initialized = !config.kmeansInit();
    }

    public Config config() { return config; }

    /** The codebook {@code [K, D]} ("embedding.weight"). */
    public Parameter codebook() { return embedding.weight(); }

    /** The EMA statistics (views of the buffers; null without EMA). */
    public EmaState emaState() {
        return config.ema() ? new EmaState(emaClusterSize.value(), emaW.value()) : null;
    }

    /** Whether the codebook is initialised (false only before a k-means first batch). */
    public boolean isInitialized() { return initialized; }

    /** Steps counted by {@link #afterStep()} (drives the revival seeds); settable for resuming. */
    public long steps() { return steps; }

    public void setSteps(long s) {
        if (s < 0) throw new IllegalArgumentException("steps must be >= 0, got " + s);
        steps = s;
    }

    @Override
    public Tensor forward(Tensor z) {
        beginForward();
        Tensor cb = codebook().value();
        if (isTraining() && !initialized) {
            EmaState fitted = KMeansInit.run(ops(), z, cb, config.kmeansIterations(), seed ^ 0x6B6D65616E73L);
            if (config.ema()) {
                emaClusterSize.replaceValue(fitted.clusterSize());
                emaW.replaceValue(fitted.embedSum());
            } else {
                fitted.close();
            }
            initialized = true;
        }
        NearestCode nc = ops().nearestCode(z, cb, false);
        indices = nc.indices();
        Quantized q = ops().quantize(z, cb, indices);
        losses = q.losses();
        Tensor st = q.straightThrough();
        try {
            // the scalar loss on the device, without a read-back: mean((zq - z)^2) equals both terms
            LossAndGrad mse = layers().mseLoss(q.zq(), z, true, 0f);
            try {
                float w = config.ema() ? config.beta() : 1f + config.beta();
                loss = layers().axpby(w, mse.value(), 0f, mse.value());
            } finally {
                mse.close();
            }
        } catch (RuntimeException e) {
            st.close();
            throw e;
        } finally {
            q.zq().close();
        }
        // eval forwards keep nothing: their input may be freed right after (see afterStep)
        this.z = isTraining() ? z : null;
        return keepOutput(st);
    }

    @Override
    public Tensor backward(Tensor gradOut) {
        beginBackward();
        VqGrads g = ops().vqBackward(gradOut, z, codebook().value(), indices, config.beta(), config.deterministic());
        counts = close(counts);
        counts = g.counts();
        if (config.ema()) g.gradCodebook().close();
        else codebook().setGrad(g.gradCodebook());
        return keepGradInput(g.gradZ());
    }

    /**
     * The per-step codebook maintenance, after backward and the optimizer step: the EMA update
     * (with EMA) and dead-code revival (when the threshold is above 0; usage = EMA cluster sizes,
     * or this batch's counts). Returns the number of codes revived (reading it back syncs; 0 when
     * revival is off). Needs the last training forward's input to still be valid.
     */
    public int afterStep() {
        ensureOpen();
        if (z == null || indices == null || !isTraining()) {
            throw new IllegalStateException("VectorQuantizer.afterStep needs a training forward first");
        }
        Tensor cb = codebook().value();
        steps++;
        if (config.ema()) ops().emaUpdate(z, indices, cb, emaState(), config.decay(), config.eps());
        if (config.deadCodeThreshold() <= 0) return 0;
        if (config.ema()) {
            return ops().reviveDeadCodes(cb, emaClusterSize.value(), config.deadCodeThreshold(), z, revivalSeed(), emaState());
        }
        if (counts == null) counts = ops().codeCounts(indices, config.numEmbeddings());
        return ops().reviveDeadCodes(cb, counts, config.deadCodeThreshold(), z, revivalSeed(), null);
    }

    private long revivalSeed() { return seed + 0x9E3779B97F4A7C15L * steps; }

    /** The code indices of the last forward (I32 {@code [N]} or {@code [B, H, W]}; owned by the layer). */
    public Tensor indices() { return indices; }

    /** Hands the last indices to the caller (who closes them). */
    public Tensor takeIndices() {
        Tensor t = indices;
        indices = null;
        return t;
    }

    /** {@code [codebookLoss, commitmentLoss]} of the last forward (F32 {@code [2]}; owned by the layer). */
    public Tensor losses() { return losses; }

    /** The VQ loss term of the last forward (F32 {@code [1]}; owned by the layer), see the class comment. */
    public Tensor loss() { return loss; }

    /** Per-code counts of the last backward (I32 {@code [K]}; owned by the layer; null before). */
    public Tensor counts() { return counts; }

    /** Perplexity, active and dead codes of the last backward's counts. Reads back (syncs). */
    public CodebookStats codebookStats(double deadThreshold) {
        if (counts == null) throw new IllegalStateException("no counts yet: run a training forward and backward first");
        return ops().codebookStats(counts, deadThreshold);
    }

    /**
     * The codebook rows for {@code indices} in the layout of a z of shape {@code zShape}
     * ({@code [N, D]} or {@code [B, D, H, W]}): what the decoder sees for those codes. The caller
     * owns the result.
     */
    public Tensor lookup(Tensor indices, int... zShape) {
        ensureOpen();
        // quantize of a zero z: zq = e[idx] (the straight-through output of zero is zq too)
        Quantized q;
        try (Tensor zero = ops().zeros(DType.F32, zShape)) {
            q = ops().quantize(zero, codebook().value(), indices);
        }
        q.straightThrough().close();
        q.losses().close();
        return q.zq();
    }

    @Override
    protected void onLoad() { initialized = true; }

    @Override
    protected void releaseSaved() {
        z = null;
        indices = close(indices);
        losses = close(losses);
        loss = close(loss);
        counts = close(counts);
    }
}
