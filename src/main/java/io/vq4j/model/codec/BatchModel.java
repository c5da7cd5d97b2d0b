package io.vq4j.model.codec;

import java.util.List;

/**
 * One model call over a batch, as the worker sees it. Inputs are validated copies: images already
 * in the model's range, codes in [0, K). Returns one result per input, in order. The seam tests
 * use to make a batch fail.
 */
interface BatchModel {
    /** The flattened code grid of each image. */
    List<int[]> encode(List<float[]> images);

    /** The CHW image in [0, 1] of each code grid. */
    List<float[]> decode(List<int[]> codes);
}
