package io.vq4j.ops;

/**
 * Codebook usage of a batch (or of EMA cluster sizes): perplexity {@code exp(-sum p log p)} with
 * {@code p = count / total} (0 log 0 taken as 0; perplexity 0 when total is 0), the number of
 * codes with a count above zero, and the number of dead codes (count below the threshold given).
 */
public record CodebookStats(double perplexity, int activeCodes, int deadCodes, double total) {}
