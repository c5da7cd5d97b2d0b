package io.vq4j.ops.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Philox#laneBlocks} on the Vector API, bit for bit: Philox4x32-10 for two vectors of
 * counters at a time (16 blocks with AVX2) with the words in registers through the ten rounds,
 * the high halves of the products from vpmuludq; then Box-Muller with {@link BoxMullerLanes}'
 * formulas (the ln's exponent read from the float bits of m + 0.5, which the Vector API can do
 * and C2's loops cannot; the same f and e). The stages pass a batch of blocks through small
 * scratch arrays (see the comment at blocks). One core, per element: ~0.7 ns Philox, ~2.3 ns
 * Box-Muller (double, 4 lanes; a divide and a square root per pair), ~0.35 ns interleaving.
 */
final class VectorNormals {
    private VectorNormals() {}

    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Ints as many as D's lanes (half a full vector). */
    private static final VectorSpecies<Integer> IH = VectorSpecies.of(int.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    private static final int IL = I.length(), DL = D.length();

    private static final double LN2 = 0.6931471805599453, TWO_PI = 2 * Math.PI;

    /** Blocks a batch: the stages below pass 64 blocks' words and factors through L1 scratch. */
    private static final int BATCH = 64;
    private static final long LOW32 = 0xFFFFFFFFL;
    private static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        final int[] w0 = new int[BATCH], w1 = new int[BATCH], w2 = new int[BATCH], w3 = new int[BATCH];
        final double[] f = new double[BATCH], e = new double[BATCH], t = new double[BATCH];
        final double[] kc = new double[BATCH], ks = new double[BATCH];
        final double[] r0 = new double[BATCH], r1 = new double[BATCH];
        final double[] c1 = new double[BATCH], s1 = new double[BATCH], c3 = new double[BATCH], s3 = new double[BATCH];
    }

    // Each stage is its own small method over a batch, its inputs and outputs in L1 scratch: C2
    // inlines the Vector API's internals only up to a node budget (NodeCountInliningCutoff), and a
    // method holding more than a few dozen vector operations ran out of it. A vector that crosses
    // a call that was not inlined is boxed, at ~10x the cost of the arithmetic.

    static void blocks(long q0, int blocks, int c2, int c3, int k0, int k1, float[] out, int o) {
        Scratch s = SCRATCH.get();
        int b = 0;
        while (blocks - b >= 2 * IL) {
            int count = Math.min(BATCH, (blocks - b) / (2 * IL) * (2 * IL));
            philox(q0 + b, count, c2, c3, k0, k1, s);
            radiusInputs(s.w0, s.f, s.e, count);
            radius(s.f, s.e, s.r0, count);
            radiusInputs(s.w2, s.f, s.e, count);
            radius(s.f, s.e, s.r1, count);
            angleInputs(s.w1, s.t, s.kc, s.ks, count);
            cosSin(s.t, s.kc, s.ks, s.c1, s.s1, count);
            angleInputs(s.w3, s.t, s.kc, s.ks, count);
            cosSin(s.t, s.kc, s.ks, s.c3, s.s3, count);
            for (int j = 0, p = o + 4 * b; j < count; j++, p += 4) {
                out[p] = (float) (s.r0[j] * s.c1[j]);
                out[p + 1] = (float) (s.r0[j] * s.s1[j]);
                out[p + 2] = (float) (s.r1[j] * s.c3[j]);
                out[p + 3] = (float) (s.r1[j] * s.s3[j]);
            }
            b += count;
        }
        if (b < blocks) Philox.laneBlocks(q0 + b, blocks - b, c2, c3, k0, k1, out, o + 4 * b);
    }

    /**
     * The Philox words of blocks q0 .. q0 + count - 1 (count a multiple of 2 IL) into s.w0..w3, two
     * vectors of blocks at once: a round is a chain of ~10 cycles' latency (multiply, shift, blend,
     * xor), so one chain alone left the core idle half the time (1.0 -> 0.6 ns an element).
     */
    private static void philox(long q0, int count, int c2, int c3, int k0, int k1, Scratch s) {
        IntVector iota = IntVector.zero(I).addIndex(1);
        // The multipliers as zero-extended longs: the AND tells C2 the high halves are zero, so
        // mul becomes one vpmuludq (a plain 64-bit constant gets AVX2's three-multiply emulation).
        LongVector m0 = LongVector.broadcast(L, Philox.M0 & 0xFFFFFFFFL).and(LOW32);
        LongVector m1 = LongVector.broadcast(L, Philox.M1 & 0xFFFFFFFFL).and(LOW32);
        VectorMask<Integer> odd = VectorMask.fromLong(I, 0xAAAAAAAAAAAAAAAAL);
        IntVector x2 = IntVector.broadcast(I, c2), x3 = IntVector.broadcast(I, c3);
        for (int b = 0; b < count; b += 2 * IL) {
            long q = q0 + b, qb = q + IL;
            IntVector x0 = iota.add((int) q), y0 = iota.add((int) qb);
            // The high counter word, plus one in lanes whose low word wrapped past 2^32.
            IntVector x1 = IntVector.broadcast(I, (int) (q >>> 32)).add(IntVector.broadcast(I, 1), x0.compare(VectorOperators.ULT, (int) q));
            IntVector y1 = IntVector.broadcast(I, (int) (qb >>> 32)).add(IntVector.broadcast(I, 1), y0.compare(VectorOperators.ULT, (int) qb));
            IntVector x2r = x2, x3r = x3, y2 = x2, y3 = x3;
            int kk0 = k0, kk1 = k1;
            for (int round = 0; round < 10; round++) {
                // The 32 x 32 -> 64-bit products of the even and the odd int lanes (vpmuludq each).
                LongVector a = x0.reinterpretAsLongs(), c = x2r.reinterpretAsLongs();
                LongVector ae = a.and(LOW32).mul(m0), ao = a.lanewise(VectorOperators.LSHR, 32).mul(m0);
                LongVector ce = c.and(LOW32).mul(m1), co = c.lanewise(VectorOperators.LSHR, 32).mul(m1);
                LongVector e = y0.reinterpretAsLongs(), g = y2.reinterpretAsLongs();
                LongVector ee = e.and(LOW32).mul(m0), eo = e.lanewise(VectorOperators.LSHR, 32).mul(m0);
                LongVector ge = g.and(LOW32).mul(m1), go = g.lanewise(VectorOperators.LSHR, 32).mul(m1);
                IntVector hx0 = ae.lanewise(VectorOperators.LSHR, 32).reinterpretAsInts().blend(ao.reinterpretAsInts(), odd);
                IntVector hx1 = ce.lanewise(VectorOperators.LSHR, 32).reinterpretAsInts().blend(co.reinterpretAsInts(), odd);
                IntVector hy0 = ee.lanewise(VectorOperators.LSHR, 32).reinterpretAsInts().blend(eo.reinterpretAsInts(), odd);
                IntVector hy1 = ge.lanewise(VectorOperators.LSHR, 32).reinterpretAsInts().blend(go.reinterpretAsInts(), odd);
                IntVector nx0 = hx1.lanewise(VectorOperators.XOR, x1).lanewise(VectorOperators.XOR, kk0);
                IntVector nx2 = hx0.lanewise(VectorOperators.XOR, x3r).lanewise(VectorOperators.XOR, kk1);
                IntVector ny0 = hy1.lanewise(VectorOperators.XOR, y1).lanewise(VectorOperators.XOR, kk0);
                IntVector ny2 = hy0.lanewise(VectorOperators.XOR, y3).lanewise(VectorOperators.XOR, kk1);
                // The low halves: vpmulld (taking them from the products measured no faster).
                x1 = x2r.mul(Philox.M1);
                x3r = x0.mul(Philox.M0);
                y1 = y2.mul(Philox.M1);
                y3 = y0.mul(Philox.M0);
                x0 = nx0;
                x2r = nx2;
                y0 = ny0;
                y2 = ny2;
                kk0 += Philox.W0;
                kk1 += Philox.W1;
            }
            x0.intoArray(s.w0, b);
            x1.intoArray(s.w1, b);
            x2r.intoArray(s.w2, b);
            x3r.intoArray(s.w3, b);
            y0.intoArray(s.w0, b + IL);
            y1.intoArray(s.w1, b + IL);
            y2.intoArray(s.w2, b + IL);
            y3.intoArray(s.w3, b + IL);
        }
    }

    /**
     * f in [sqrt(1/2), sqrt(2)) and e with m + 0.5 = f 2^e, m = w >>> 9 (both exact, the f and e
     * BoxMullerLanes finds by halving, here read from the float bits of m + 0.5), in double. In
     * vectors of D's lane count (IH, FH), so each widening to double is one instruction (widening
     * the upper half of a full vector was slow).
     */
    private static void radiusInputs(int[] w, double[] fd, double[] ed, int count) {
        for (int b = 0; b < count; b += DL) {
            IntVector v = ((FloatVector) IntVector.fromArray(IH, w, b).lanewise(VectorOperators.LSHR, 9)
                    .convert(VectorOperators.I2F, 0)).add(0.5f).reinterpretAsInts();
            FloatVector f = v.and(0x007FFFFF).or(0x3F800000).reinterpretAsFloats();
            VectorMask<Float> h = f.mul(0.70710677f).compare(VectorOperators.GE, 1f);
            f = f.blend(f.mul(0.5f), h);
            FloatVector e = (FloatVector) v.lanewise(VectorOperators.LSHR, 23).sub(127).add(1, h.cast(IH))
                    .convert(VectorOperators.I2F, 0);
            ((DoubleVector) f.convertShape(VectorOperators.F2D, D, 0)).intoArray(fd, b);
            ((DoubleVector) e.convertShape(VectorOperators.F2D, D, 0)).intoArray(ed, b);
        }
    }

    /** r = sqrt(-2 ln u), ln u = 2 atanh((f-1)/(f+1)) + (e - 23) ln 2 (BoxMullerLanes.radius). */
    private static void radius(double[] fa, double[] ea, double[] r, int count) {
        for (int b = 0; b < count; b += DL) {
            DoubleVector f = DoubleVector.fromArray(D, fa, b);
            DoubleVector s = f.sub(1).div(f.add(1)), s2 = s.mul(s);
            DoubleVector p = s2.fma(1.0 / 15, 1.0 / 13);
            p = p.fma(s2, DoubleVector.broadcast(D, 1.0 / 11));
            p = p.fma(s2, DoubleVector.broadcast(D, 1.0 / 9));
            p = p.fma(s2, DoubleVector.broadcast(D, 1.0 / 7));
            p = p.fma(s2, DoubleVector.broadcast(D, 1.0 / 5));
            p = p.fma(s2, DoubleVector.broadcast(D, 1.0 / 3));
            DoubleVector lnU = DoubleVector.fromArray(D, ea, b).sub(23.0)
                    .fma(DoubleVector.broadcast(D, LN2), s.mul(s2).fma(p, s).mul(2));
            lnU.mul(-2.0).sqrt().intoArray(r, b);
        }
    }

    /**
     * t = u - n/4 with the quadrant n = round(4u), u = ((w >>> 9) + 0.5) 2^-23 (exact in float),
     * and (kc, ks) = (cos, sin)(n pi/2) in {0, +-1}, all in double (half-width vectors as above).
     */
    private static void angleInputs(int[] w, double[] ta, double[] kca, double[] ksa, int count) {
        for (int b = 0; b < count; b += DL) {
            IntVector m = IntVector.fromArray(IH, w, b).lanewise(VectorOperators.LSHR, 9);
            FloatVector u = ((FloatVector) m.convert(VectorOperators.I2F, 0)).add(0.5f).mul(0x1.0p-23f);
            IntVector n = (IntVector) u.mul(4f).add(0.5f).convert(VectorOperators.F2I, 0);
            FloatVector t = u.sub(((FloatVector) n.convert(VectorOperators.I2F, 0)).mul(0.25f));
            IntVector sign = IntVector.broadcast(IH, 1).sub(n.and(2)), odd = n.and(1);
            IntVector cq = IntVector.broadcast(IH, 1).sub(odd).mul(sign), sq = odd.mul(sign);
            ((DoubleVector) t.convertShape(VectorOperators.F2D, D, 0)).intoArray(ta, b);
            ((DoubleVector) cq.convertShape(VectorOperators.I2D, D, 0)).intoArray(kca, b);
            ((DoubleVector) sq.convertShape(VectorOperators.I2D, D, 0)).intoArray(ksa, b);
        }
    }

    /** (c, s) = (cos, sin)(2 pi t) rotated by (kc, ks): Taylor polynomials as BoxMullerLanes.angle. */
    private static void cosSin(double[] ta, double[] kca, double[] ksa, double[] c, double[] s, int count) {
        for (int b = 0; b < count; b += DL) {
            DoubleVector a = DoubleVector.fromArray(D, ta, b).mul(TWO_PI), a2 = a.mul(a);
            DoubleVector sp = a2.fma(-1.0 / 6227020800.0, 1.0 / 39916800.0);
            sp = sp.fma(a2, DoubleVector.broadcast(D, -1.0 / 362880.0));
            sp = sp.fma(a2, DoubleVector.broadcast(D, 1.0 / 5040.0));
            sp = sp.fma(a2, DoubleVector.broadcast(D, -1.0 / 120.0));
            sp = sp.fma(a2, DoubleVector.broadcast(D, 1.0 / 6.0));
            DoubleVector sin = a.neg().mul(a2).fma(sp, a);
            DoubleVector cp = a2.fma(1.0 / 87178291200.0, -1.0 / 479001600.0);
            cp = cp.fma(a2, DoubleVector.broadcast(D, 1.0 / 3628800.0));
            cp = cp.fma(a2, DoubleVector.broadcast(D, -1.0 / 40320.0));
            cp = cp.fma(a2, DoubleVector.broadcast(D, 1.0 / 720.0));
            cp = cp.fma(a2, DoubleVector.broadcast(D, -1.0 / 24.0));
            cp = cp.fma(a2, DoubleVector.broadcast(D, 0.5));
            DoubleVector cos = a2.neg().fma(cp, DoubleVector.broadcast(D, 1.0));
            DoubleVector kc = DoubleVector.fromArray(D, kca, b), ks = DoubleVector.fromArray(D, ksa, b);
            kc.mul(cos).sub(ks.mul(sin)).intoArray(c, b);
            ks.mul(cos).add(kc.mul(sin)).intoArray(s, b);
        }
    }
}
