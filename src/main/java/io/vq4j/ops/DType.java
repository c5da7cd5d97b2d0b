package io.vq4j.ops;

/** Element types of a {@link Tensor}: float32 for values, int32 for code indices and counts. */
public enum DType {
    F32, I32;

    public int bytes() { return 4; }
}
