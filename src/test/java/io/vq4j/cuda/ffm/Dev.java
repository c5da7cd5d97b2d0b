package io.vq4j.cuda.ffm;

import io.vq4j.TestData;
import io.vq4j.cuda.CudaStream;
import io.vq4j.cuda.DeviceBuffer;

/** Device-buffer helpers for the FFM GPU tests. */
final class Dev {
    private Dev() {}

    /** A device copy of {@code a}; closed again if the copy fails. */
    static DeviceBuffer upload(CudaStream s, float[] a) {
        DeviceBuffer b = new DeviceBuffer(s, 4L * a.length);
        try {
            b.copyFrom(a, 0, 0, a.length);
            return b;
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
    }

    /** A device buffer of {@code n} floats, every word set to {@link TestData#POISON_BITS}. */
    static DeviceBuffer poisoned(CudaStream s, int n) {
        DeviceBuffer b = new DeviceBuffer(s, 4L * n);
        try {
            b.fill32(TestData.POISON_BITS);
            return b;
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
    }

    static float[] download(DeviceBuffer b) {
        float[] a = new float[(int) (b.bytes() / 4)];
        b.copyTo(a, 0, 0, a.length);
        return a;
    }

    /** Number of elements still holding the poison bit pattern. */
    static int poisonLeft(float[] a) {
        int n = 0;
        for (float v : a) if (Float.floatToRawIntBits(v) == TestData.POISON_BITS) n++;
        return n;
    }
}
