package io.vq4j.ops.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import static io.vq4j.ops.cpu.KlTerms.BLOCK;
import static io.vq4j.ops.cpu.KlTerms.HI;

/**
 * {@link KlTerms#sum} on the Vector API, bit for bit: the same fp32 term per element (both
 * polynomials, the exact pick by k, the fma with mu^2), the same per-lane double accumulators
 * (lane j of every 512-element block adds into lanes[j]) and the same scalar path for a block
 * holding a logvar out of [-87, 87] or NaN. What differs is where the work happens: one pass, the
 * term in registers (about 45 vector instructions per 8 elements) instead of eleven loops over
 * L1 scratch arrays: ~1.35 ns an element on one core here against ~3.1 for the portable loops
 * (the two polynomials are most of it: ~0.6 and ~0.85 ns alone).
 *
 * <p>Without the clamp of the portable loops: a block with an out-of-range logvar takes the
 * scalar path, which uses the vector term only for in-range lanes (where the clamp is the identity).
 */
final class VectorKl {
    private VectorKl() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Floats as many as D's lanes: their widening to D is one instruction (vcvtps2pd). */
    private static final VectorSpecies<Float> FH = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    private static final int FL = F.length(), DL = D.length();

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        final double[] lanes = new double[BLOCK];
        final float[] t = new float[BLOCK];
    }

    static double sum(float[] m, float[] logvar, int from, int to) {
        Scratch s = SCRATCH.get();
        double[] lanes = s.lanes;
        float[] t = s.t;
        double acc = 0;
        for (int b = from; b < to; b += BLOCK) {
            int n = Math.min(BLOCK, to - b);
            boolean inRange = terms(m, logvar, b, n, t);
            if (inRange) {
                // Added into the double lanes half a vector at a time: widening a whole 8-float
                // vector's upper half in registers (convertShape part 1) cost more than the store
                // to L1 and this reload (1.8 -> 1.35 ns an element).
                int j = 0;
                for (; j <= n - DL; j += DL) {
                    DoubleVector.fromArray(D, lanes, j)
                            .add((DoubleVector) FloatVector.fromArray(FH, t, j).convertShape(VectorOperators.F2D, D, 0))
                            .intoArray(lanes, j);
                }
                for (; j < n; j++) lanes[j] += t[j];
            } else { // a logvar out of [LO, HI], or NaN: per element, in order, as the portable loops
                for (int j = 0; j < n; j++) acc += KlTerms.termOrDouble(t[j], logvar[b + j], m[b + j]);
            }
        }
        return KlTerms.finish(acc, lanes, m, logvar, from, to);
    }

    /**
     * t[0, n) = the terms of [b, b + n); returns whether every |logvar| there is at most HI (false
     * for NaN), found in the same pass.
     */
    private static boolean terms(float[] m, float[] logvar, int b, int n, float[] t) {
        VectorMask<Float> ok = F.maskAll(true);
        int j = 0;
        for (; j <= n - FL; j += FL) {
            FloatVector x = FloatVector.fromArray(F, logvar, b + j);
            ok = ok.and(x.abs().compare(VectorOperators.LE, HI));
            term(x, FloatVector.fromArray(F, m, b + j)).intoArray(t, j);
        }
        boolean all = ok.allTrue();
        for (; j < n; j++) {
            all &= Math.abs(logvar[b + j]) <= HI;
            t[j] = KlTerms.term(logvar[b + j], m[b + j]);
        }
        return all;
    }

    // The term is split into methods under C2's inlining limit for hot code (FreqInlineSize, 325
    // bytes of bytecode): a vector-valued method that is not inlined boxes its vectors, which costs
    // more than the whole computation.

    /** The fp32 term of {@link KlTerms#term} for in-range lanes (out-of-range lanes: unused garbage). */
    private static FloatVector term(FloatVector x, FloatVector mu) {
        IntVector k = VectorExp.exponent(x);
        VectorMask<Float> useExp = k.compare(VectorOperators.LT, -1).or(k.compare(VectorOperators.GT, 2)).cast(F);
        return mu.fma(mu, series(x).blend(viaExp(x, k), useExp));
    }

    /** (2^k e^r - 1) - x with x = k ln2 + r (Cody-Waite), as KlTerms computes it. */
    private static FloatVector viaExp(FloatVector x, IntVector k) {
        return VectorExp.exp(x, k).sub(1f).sub(x);
    }

    /** x^2 Q(x), Q by Horner. */
    private static FloatVector series(FloatVector x) {
        FloatVector q = x.fma(1f / 87178291200f, 1f / 6227020800f);
        q = q.fma(x, FloatVector.broadcast(F, 1f / 479001600f));
        q = q.fma(x, FloatVector.broadcast(F, 1f / 39916800f));
        q = q.fma(x, FloatVector.broadcast(F, 1f / 3628800f));
        q = q.fma(x, FloatVector.broadcast(F, 1f / 362880f));
        q = q.fma(x, FloatVector.broadcast(F, 1f / 40320f));
        q = q.fma(x, FloatVector.broadcast(F, 1f / 5040f));
        q = q.fma(x, FloatVector.broadcast(F, 1f / 720f));
        q = q.fma(x, FloatVector.broadcast(F, 1f / 120f));
        q = q.fma(x, FloatVector.broadcast(F, 1f / 24f));
        q = q.fma(x, FloatVector.broadcast(F, 1f / 6f));
        q = q.fma(x, FloatVector.broadcast(F, 0.5f));
        return q.mul(x).mul(x);
    }
}
