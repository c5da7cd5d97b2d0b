package io.vq4j.bench;

import io.vq4j.ops.Tensor;

/** A slice of a tensor's floats, copied to the host, wherever the tensor lives. */
final class Slices {
    private Slices() {}

    /** {@code count} floats of F32 {@code t} from element {@code first}. */
    static float[] floats(Tensor t, long first, int count) {
        float[] a = new float[count];
        if (t.isOnDevice()) {
            t.deviceBuffer().copyTo(a, 0, 4L * first, count);
        } else {
            System.arraycopy(t.hostFloats(), Math.toIntExact(first), a, 0, count);
        }
        return a;
    }
}
