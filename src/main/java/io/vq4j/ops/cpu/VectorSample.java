package io.vq4j.ops.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import static io.vq4j.ops.cpu.ReparamBlocks.LIMIT;

/**
 * {@link ReparamBlocks#sample} on the Vector API, bit for bit: {@code fma(e^(logvar/2), eps, mu)}
 * with the same Cody-Waite exponential, in one pass straight from the input arrays (no copies to
 * scratch), and the double formula for any element with |logvar / 2| > 87 or NaN. A vector holding
 * such an element is redone element by element before anything is stored, so eps may be out.
 */
final class VectorSample {
    private VectorSample() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int FL = F.length();

    static void sample(float[] m, float[] logvar, float[] e, float[] out, int from, int to) {
        int i = from;
        for (; i <= to - FL; i += FL) {
            FloatVector x = FloatVector.fromArray(F, logvar, i).mul(0.5f);
            VectorMask<Float> ok = x.abs().compare(VectorOperators.LE, LIMIT);
            if (ok.allTrue()) {
                FloatVector eps = FloatVector.fromArray(F, e, i), mu = FloatVector.fromArray(F, m, i);
                VectorExp.exp(x, VectorExp.exponent(x)).fma(eps, mu).intoArray(out, i);
            } else {
                for (int j = i; j < i + FL; j++) out[j] = ReparamBlocks.sampleOne(m[j], logvar[j], e[j]);
            }
        }
        for (; i < to; i++) out[i] = ReparamBlocks.sampleOne(m[i], logvar[i], e[i]);
    }
}
