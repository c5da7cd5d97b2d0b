package io.vq4j.ops;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every argument check of the Gaussian ops throws IllegalArgumentException naming the argument and the shapes. */
class GaussianArgumentsTest {
    private static final CpuOps OPS = new CpuOps();

    @AfterAll
    static void close() { OPS.close(); }

    private static final Tensor A = Tensor.of(new float[6], 2, 3);
    private static final Tensor A2 = Tensor.of(new float[6], 2, 3);
    private static final Tensor B = Tensor.of(new float[6], 3, 2);
    private static final Tensor I = Tensor.ofInts(new int[6], 2, 3);

    /** Asserts an IllegalArgumentException whose message contains every one of {@code parts}. */
    private static void rejects(Executable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String p : parts) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(p),
                    () -> "message \"" + e.getMessage() + "\" should mention \"" + p + "\"");
        }
    }

    @Test
    void standardNormal() {
        rejects(() -> OPS.standardNormal(1, -1, 2, 3), "offset", "-1");
        rejects(() -> OPS.standardNormal(1, Long.MIN_VALUE, 2), "offset");
        rejects(() -> OPS.standardNormal(1, 0, (int[]) null), "shape");
        rejects(() -> OPS.standardNormal(1, 0, 2, -3), "shape", "[2, -3]", "negative");
    }

    @Test
    void reparameterize() {
        rejects(() -> OPS.reparameterize(null, A, 1, 0, false), "mu", "null");
        rejects(() -> OPS.reparameterize(A, null, 1, 0, false), "logvar", "null");
        rejects(() -> OPS.reparameterize(A, B, 1, 0, false), "mu", "[2, 3]", "logvar", "[3, 2]");
        rejects(() -> OPS.reparameterize(I, A, 1, 0, false), "mu", "F32", "I32[2, 3]");
        rejects(() -> OPS.reparameterize(A, I, 1, 0, true), "logvar", "F32", "I32[2, 3]");
        rejects(() -> OPS.reparameterize(A, A2, 1, -7, true), "offset", "-7");
        Tensor closed = Tensor.of(new float[6], 2, 3);
        closed.close();
        rejects(() -> OPS.reparameterize(closed, A, 1, 0, false), "mu", "F32[2, 3]", "closed");
    }

    @Test
    void reparameterizeBackwardRegenerated() {
        rejects(() -> OPS.reparameterizeBackward(null, A, 1, 0), "gradZ", "null");
        rejects(() -> OPS.reparameterizeBackward(A, null, 1, 0), "logvar", "null");
        rejects(() -> OPS.reparameterizeBackward(A, B, 1, 0), "gradZ", "[2, 3]", "logvar", "[3, 2]");
        rejects(() -> OPS.reparameterizeBackward(I, A, 1, 0), "gradZ", "I32[2, 3]");
        rejects(() -> OPS.reparameterizeBackward(A, I, 1, 0), "logvar", "I32[2, 3]");
        rejects(() -> OPS.reparameterizeBackward(A, A2, 1, -1), "offset", "-1");
    }

    @Test
    void reparameterizeBackwardStored() {
        rejects(() -> OPS.reparameterizeBackward(A, A2, (Tensor) null), "eps", "null");
        rejects(() -> OPS.reparameterizeBackward(A, A2, B), "eps", "[3, 2]", "logvar", "[2, 3]");
        rejects(() -> OPS.reparameterizeBackward(A, A2, I), "eps", "I32[2, 3]");
        rejects(() -> OPS.reparameterizeBackward(null, A, A2), "gradZ", "null");
        rejects(() -> OPS.reparameterizeBackward(B, A, A2), "gradZ", "[3, 2]", "logvar", "[2, 3]");
        rejects(() -> OPS.reparameterizeBackward(A, I, A2), "logvar", "I32[2, 3]");
    }

    @Test
    void klDivergence() {
        rejects(() -> OPS.klDivergence(A, A2, null), "reduction", "null");
        rejects(() -> OPS.klDivergence(null, A, KlReduction.SUM), "mu", "null");
        rejects(() -> OPS.klDivergence(A, null, KlReduction.MEAN), "logvar", "null");
        rejects(() -> OPS.klDivergence(A, B, KlReduction.PER_SAMPLE), "mu", "[2, 3]", "logvar", "[3, 2]");
        rejects(() -> OPS.klDivergence(I, A, KlReduction.SUM), "mu", "I32[2, 3]");
        rejects(() -> OPS.klDivergence(A, I, KlReduction.SUM), "logvar", "I32[2, 3]");
        Tensor scalar = Tensor.of(new float[1]);
        rejects(() -> OPS.klDivergence(scalar, scalar, KlReduction.SUM), "mu", "[]", "batch dimension");
    }

    @Test
    void klBackward() {
        rejects(() -> OPS.klBackward(A, A2, Float.NaN), "weight", "NaN");
        rejects(() -> OPS.klBackward(A, A2, Float.POSITIVE_INFINITY), "weight", "Infinity");
        rejects(() -> OPS.klBackward(A, A2, Float.NEGATIVE_INFINITY), "weight", "-Infinity");
        rejects(() -> OPS.klBackward(null, A, 1f), "mu", "null");
        rejects(() -> OPS.klBackward(A, null, 1f), "logvar", "null");
        rejects(() -> OPS.klBackward(A, B, 1f), "mu", "[2, 3]", "logvar", "[3, 2]");
        rejects(() -> OPS.klBackward(I, A, 1f), "mu", "I32[2, 3]");
    }
}
