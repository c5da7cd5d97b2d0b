package io.vq4j.cuda.kernels;

import io.vq4j.cuda.DeviceBuffer;

/**
 * Reads 64-bit words (scratch flags, double results) back from the device. DeviceBuffer copies
 * ints and floats; a 64-bit word is two little-endian ints. Synchronous (waits for the stream).
 */
final class CodebookReadback {
    private CodebookReadback() {}

    static long[] readLongs(DeviceBuffer b, long byteOffset, int count) {
        int[] w = new int[2 * count];
        b.copyTo(w, 0, byteOffset, w.length);
        long[] out = new long[count];
        for (int i = 0; i < count; i++) out[i] = (w[2 * i] & 0xFFFFFFFFL) | ((long) w[2 * i + 1] << 32);
        return out;
    }

    static double[] readDoubles(DeviceBuffer b, long byteOffset, int count) {
        long[] bits = readLongs(b, byteOffset, count);
        double[] out = new double[count];
        for (int i = 0; i < count; i++) out[i] = Double.longBitsToDouble(bits[i]);
        return out;
    }
}
