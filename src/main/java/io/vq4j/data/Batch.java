package io.vq4j.data;

/**
 * One batch from a {@link BatchLoader}: {@code count} images as NCHW floats in the loader's range.
 * The arrays belong to the caller (the loader never reuses them).
 *
 * @param epoch   the epoch it belongs to
 * @param index   its position in the epoch, from 0
 * @param count   images in it: the batch size, or fewer for the last batch of an epoch without drop-last
 * @param data    count * channels * height * width floats, image k at k * channels * height * width
 * @param indices the dataset index of each image
 * @param labels  the label of each image (-1 where the dataset has none)
 */
public record Batch(int epoch, int index, int count, int channels, int height, int width, float[] data,
                    int[] indices, int[] labels) {}
