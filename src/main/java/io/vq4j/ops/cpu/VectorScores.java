package io.vq4j.ops.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link CodeScores}' tile scores on the Vector API, register-blocked: 4 vectors x 16 codes of
 * accumulators stay in registers for all D dimensions, so each step loads 2 code vectors and 4
 * broadcasts for 8 FMAs (the portable loop, one vector at a time, loads 8 code vectors and loads
 * and stores the accumulator for 8 FMAs, which caps it at about half the FMA units' rate). The
 * chain per score is the same (start from the norm, fma over c ascending), so the same bits.
 */
final class VectorScores {
    private VectorScores() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int FL = F.length();

    static void scoreTile(float[][] tile, int d, float[] x, int rows, float[] out, int stride, int off) {
        float[] norms = tile[d];
        int w = norms.length;
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int o = r * stride + off, x0 = r * d;
            int j = 0;
            for (; j + 2 * FL <= w; j += 2 * FL) four2(tile, d, x, x0, j, out, o, stride);
            for (; j + FL <= w; j += FL) {
                for (int q = 0; q < 4; q++) one(tile, d, x, x0 + q * d, j, out, o + q * stride);
            }
            for (; j < w; j++) {
                for (int q = 0; q < 4; q++) out[o + q * stride + j] = scalar(tile, d, x, x0 + q * d, j);
            }
        }
        for (; r < rows; r++) {
            int o = r * stride + off, xo = r * d;
            int j = 0;
            for (; j + FL <= w; j += FL) one(tile, d, x, xo, j, out, o);
            for (; j < w; j++) out[o + j] = scalar(tile, d, x, xo, j);
        }
    }

    /** Codes [j, j + 2 FL) for the 4 vectors at x0, x0 + d, x0 + 2d, x0 + 3d. */
    private static void four2(float[][] tile, int d, float[] x, int x0, int j, float[] out, int o, int stride) {
        FloatVector n0 = FloatVector.fromArray(F, tile[d], j), n1 = FloatVector.fromArray(F, tile[d], j + FL);
        FloatVector a00 = n0, a01 = n1, a10 = n0, a11 = n1, a20 = n0, a21 = n1, a30 = n0, a31 = n1;
        int x1 = x0 + d, x2 = x1 + d, x3 = x2 + d;
        for (int c = 0; c < d; c++) {
            float[] row = tile[c];
            FloatVector e0 = FloatVector.fromArray(F, row, j), e1 = FloatVector.fromArray(F, row, j + FL);
            FloatVector b = FloatVector.broadcast(F, x[x0 + c]);
            a00 = e0.fma(b, a00);
            a01 = e1.fma(b, a01);
            b = FloatVector.broadcast(F, x[x1 + c]);
            a10 = e0.fma(b, a10);
            a11 = e1.fma(b, a11);
            b = FloatVector.broadcast(F, x[x2 + c]);
            a20 = e0.fma(b, a20);
            a21 = e1.fma(b, a21);
            b = FloatVector.broadcast(F, x[x3 + c]);
            a30 = e0.fma(b, a30);
            a31 = e1.fma(b, a31);
        }
        a00.intoArray(out, o + j);
        a01.intoArray(out, o + j + FL);
        a10.intoArray(out, o + stride + j);
        a11.intoArray(out, o + stride + j + FL);
        a20.intoArray(out, o + 2 * stride + j);
        a21.intoArray(out, o + 2 * stride + j + FL);
        a30.intoArray(out, o + 3 * stride + j);
        a31.intoArray(out, o + 3 * stride + j + FL);
    }

    /** Codes [j, j + FL) for the vector at xo. */
    private static void one(float[][] tile, int d, float[] x, int xo, int j, float[] out, int o) {
        FloatVector a = FloatVector.fromArray(F, tile[d], j);
        for (int c = 0; c < d; c++) a = FloatVector.fromArray(F, tile[c], j).fma(FloatVector.broadcast(F, x[xo + c]), a);
        a.intoArray(out, o + j);
    }

    /** Code j for the vector at xo, one scalar chain. */
    private static float scalar(float[][] tile, int d, float[] x, int xo, int j) {
        float a = tile[d][j];
        for (int c = 0; c < d; c++) a = Math.fma(x[xo + c], tile[c][j], a);
        return a;
    }
}
