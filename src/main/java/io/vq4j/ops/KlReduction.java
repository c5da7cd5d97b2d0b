package io.vq4j.ops;

/**
 * How {@link Ops#klDivergence} reduces {@code -1/2 (1 + logvar - mu^2 - exp(logvar))}:
 * SUM over every element (shape {@code [1]}); PER_SAMPLE over all but the first dimension
 * (shape {@code [B]}); MEAN = SUM / B, the batch mean of the per-sample sums (shape {@code [1]}),
 * as the reference VAE's {@code torch.mean(-0.5 * torch.sum(..., dim=1), dim=0)}.
 */
public enum KlReduction { SUM, PER_SAMPLE, MEAN }
