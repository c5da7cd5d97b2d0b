package io.vq4j.nn;

import io.vq4j.ops.GaussianGrads;
import io.vq4j.ops.KlReduction;
import io.vq4j.ops.Reparameterized;
import io.vq4j.ops.Tensor;

/**
 * The VAE bottleneck: {@code z = mu + exp(logvar / 2) * eps} in training, with eps drawn by the
 * counter-based generator from {@code (seed, offset)}, offset = this layer's draw counter (one per
 * training forward, so every step has fresh noise and a run is reproducible; resumable with
 * {@link #setDraws}); {@code z = mu} in eval mode. Also the KL term
 * {@code -1/2 sum(1 + logvar - mu^2 - exp(logvar))} (summed over everything) and its gradient.
 *
 * <p>The noise is regenerated in backward, not stored. The model sums the two gradient paths
 * (reparameterization and KL) for mu and logvar. Same ownership rule as {@link Layer}: z, the KL
 * value and both gradient pairs are owned by this module until its next forward / close; mu and
 * logvar belong to the caller and must stay valid until backward.
 */
public final class GaussianLatent extends Module {
    private final long seed;
    private long draws;
    private long offset;
    private boolean sampled;
    private Tensor mu, logvar;
    private Tensor z, kl;
    private GaussianGrads repGrads, klGrads;

    public GaussianLatent(Backend backend, long seed) {
        super(backend);
        this.seed = seed;
    }

    public long seed() { return seed; }

    /** Training forwards so far (the next draw's offset). */
    public long draws() { return draws; }

    public void setDraws(long d) {
        if (d < 0) throw new IllegalArgumentException("draws must be >= 0, got " + d);
        draws = d;
    }

    /** z for {@code (mu, logvar)} (same shapes), owned by this module. Also computes the KL value. */
    public Tensor forward(Tensor mu, Tensor logvar) {
        ensureOpen();
        release();
        if (isTraining()) {
            offset = draws;
            Reparameterized r = ops().reparameterize(mu, logvar, seed, offset, false);
            z = r.z();
            draws++;
            sampled = true;
        } else {
            z = layers().axpby(1f, mu, 0f, mu);
        }
        kl = ops().klDivergence(mu, logvar, KlReduction.SUM);
        this.mu = mu;
        this.logvar = logvar;
        return z;
    }

    /** The KL value of the last forward (F32 {@code [1]}, owned). */
    public Tensor kl() { return kl; }

    /** Hands z of the last forward to the caller (who closes it). */
    public Tensor takeZ() {
        Tensor t = z;
        z = null;
        return t;
    }

    /** Gradients for mu and logvar through z (owned). */
    public GaussianGrads backward(Tensor gradZ) {
        ensureOpen();
        if (!sampled) throw new IllegalStateException("GaussianLatent.backward needs a training forward first");
        if (repGrads != null) repGrads.close();
        repGrads = null;
        repGrads = ops().reparameterizeBackward(gradZ, logvar, seed, offset);
        return repGrads;
    }

    /** Gradients of {@code weight * KL} for mu and logvar (owned). */
    public GaussianGrads klBackward(float weight) {
        ensureOpen();
        if (mu == null) throw new IllegalStateException("GaussianLatent.klBackward needs a forward first");
        if (klGrads != null) klGrads.close();
        klGrads = null;
        klGrads = ops().klBackward(mu, logvar, weight);
        return klGrads;
    }

    private void release() {
        z = close(z);
        kl = close(kl);
        if (repGrads != null) repGrads.close();
        if (klGrads != null) klGrads.close();
        repGrads = null;
        klGrads = null;
        mu = null;
        logvar = null;
        sampled = false;
    }

    @Override
    protected void releaseOwned() { release(); }
}
