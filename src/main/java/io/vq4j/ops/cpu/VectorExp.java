package io.vq4j.ops.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import static io.vq4j.ops.cpu.Fp32Exp.LN2_HI;
import static io.vq4j.ops.cpu.Fp32Exp.LN2_LO;
import static io.vq4j.ops.cpu.Fp32Exp.LOG2E;

/**
 * {@link Fp32Exp} on the Vector API, lane for lane the same operations (so the same bits). Both
 * methods are small enough for C2 to inline (a vector-valued call that is not inlined boxes its
 * vectors).
 */
final class VectorExp {
    private VectorExp() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** {@link Fp32Exp#exponent} per lane. */
    static IntVector exponent(FloatVector x) {
        return ((IntVector) x.mul(LOG2E).add(128.5f).convert(VectorOperators.F2I, 0)).sub(128);
    }

    /** {@link Fp32Exp#exp} per lane, given {@code k = exponent(x)} (|x| <= 87). */
    static FloatVector exp(FloatVector x, IntVector k) {
        FloatVector nk = ((FloatVector) k.convert(VectorOperators.I2F, 0)).neg();
        FloatVector scale = k.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector r = nk.fma(FloatVector.broadcast(F, LN2_HI), x);
        r = nk.fma(FloatVector.broadcast(F, LN2_LO), r);
        FloatVector p = r.fma(1f / 5040, 1f / 720);
        p = p.fma(r, FloatVector.broadcast(F, 1f / 120));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 24));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 6));
        p = p.fma(r, FloatVector.broadcast(F, 0.5f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        return p.mul(scale);
    }
}
