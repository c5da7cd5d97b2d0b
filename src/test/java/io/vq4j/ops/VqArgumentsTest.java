package io.vq4j.ops;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Every argument check of the VQ ops (CheckedOps, shared by all backends) raises an
 * IllegalArgumentException whose message names the argument and the shapes or values, exactly.
 * Runs on the CPU backend; the "tensor of the other backend" check needs a GPU and is not here.
 */
class VqArgumentsTest {
    private final Ops ops = new CpuOps();

    // valid arguments: z [4, 3] rows, codebook [6, 3]
    private static Tensor z() { return Tensor.zeros(DType.F32, 4, 3); }
    private static Tensor codebook() { return Tensor.zeros(DType.F32, 6, 3); }
    private static Tensor indices() { return Tensor.zeros(DType.I32, 4); }
    private static EmaState state() { return new EmaState(Tensor.zeros(DType.F32, 6), Tensor.zeros(DType.F32, 6, 3)); }

    /** An op called with the given z and codebook and valid everything else. */
    @FunctionalInterface
    interface VqCall {
        void call(Ops ops, Tensor z, Tensor codebook);
    }

    private static Map<String, VqCall> vqOps() {
        Map<String, VqCall> m = new LinkedHashMap<>();
        m.put("nearestCode", (o, z, e) -> o.nearestCode(z, e, true));
        m.put("quantize", (o, z, e) -> o.quantize(z, e, indicesFor(z)));
        m.put("vqBackward", (o, z, e) -> o.vqBackward(gradFor(z), z, e, indicesFor(z), 0.25f, true));
        m.put("emaUpdate", (o, z, e) -> o.emaUpdate(z, indicesFor(z), e, emaFor(e), 0.99f, 1e-5f));
        m.put("reviveDeadCodes", (o, z, e) -> o.reviveDeadCodes(e, usageFor(e), 1f, z, 1L, null));
        return m;
    }

    // Companions shaped to fit z/codebook where those are valid, so only the z/codebook check fires.
    private static Tensor indicesFor(Tensor z) {
        if (z == null || z.isClosed() || (z.rank() != 2 && z.rank() != 4)) return indices();
        return z.rank() == 2 ? Tensor.zeros(DType.I32, z.dim(0)) : Tensor.zeros(DType.I32, z.dim(0), z.dim(2), z.dim(3));
    }

    private static Tensor gradFor(Tensor z) {
        return z == null || z.isClosed() ? z() : Tensor.zeros(DType.F32, z.shape());
    }

    private static EmaState emaFor(Tensor e) {
        if (e == null || e.isClosed() || e.rank() != 2) return state();
        return new EmaState(Tensor.zeros(DType.F32, e.dim(0)), Tensor.zeros(DType.F32, e.shape()));
    }

    private static Tensor usageFor(Tensor e) {
        return e == null || e.isClosed() || e.rank() != 2 ? Tensor.zeros(DType.F32, 6) : Tensor.zeros(DType.F32, e.dim(0));
    }

    private static Tensor closed(Tensor t) {
        t.close();
        return t;
    }

    /** The z/codebook checks, for every VQ op. */
    @TestFactory
    List<DynamicTest> zAndCodebookChecks() {
        record Bad(String what, Tensor z, Tensor codebook, String message) {}
        List<Bad> bad = List.of(
                new Bad("null z", null, codebook(), "z must not be null"),
                new Bad("null codebook", z(), null, "codebook must not be null"),
                new Bad("I32 z", Tensor.zeros(DType.I32, 4, 3), codebook(), "z must be F32, got I32[4, 3]"),
                new Bad("I32 codebook", z(), Tensor.zeros(DType.I32, 6, 3), "codebook must be F32, got I32[6, 3]"),
                new Bad("closed z", closed(z()), codebook(), "z F32[4, 3] is closed"),
                new Bad("rank-1 codebook", z(), Tensor.zeros(DType.F32, 18), "codebook must be [K, D], got [18]"),
                new Bad("K = 0", z(), Tensor.zeros(DType.F32, 0, 3), "codebook [0, 3] has K = 0 codes"),
                new Bad("D = 0", z(), Tensor.zeros(DType.F32, 6, 0), "codebook [6, 0] has D = 0"),
                new Bad("rank-3 z", Tensor.zeros(DType.F32, 2, 3, 4), codebook(), "z must be [N, D] or [B, D, H, W], got [2, 3, 4]"),
                new Bad("rank-1 z", Tensor.zeros(DType.F32, 3), codebook(), "z must be [N, D] or [B, D, H, W], got [3]"),
                new Bad("mismatched D rows", Tensor.zeros(DType.F32, 4, 5), codebook(),
                        "z [4, 5] has D = 5 but codebook [6, 3] has D = 3"),
                new Bad("mismatched D nchw", Tensor.zeros(DType.F32, 2, 5, 2, 2), codebook(),
                        "z [2, 5, 2, 2] (NCHW) has D = 5 channels but codebook [6, 3] has D = 3"),
                new Bad("N = 0 rows", Tensor.zeros(DType.F32, 0, 3), codebook(), "z [0, 3] has N = 0 vectors"),
                new Bad("N = 0 nchw", Tensor.zeros(DType.F32, 2, 3, 0, 4), codebook(), "z [2, 3, 0, 4] has N = 0 vectors"));
        List<DynamicTest> tests = new ArrayList<>();
        for (Map.Entry<String, VqCall> op : vqOps().entrySet()) {
            for (Bad b : bad) {
                tests.add(DynamicTest.dynamicTest(op.getKey() + ": " + b.what(),
                        () -> expect(b.message(), () -> op.getValue().call(ops, b.z(), b.codebook()))));
            }
        }
        return tests;
    }

    /** The indices checks, for every op that takes indices. */
    @TestFactory
    List<DynamicTest> indicesChecks() {
        Map<String, java.util.function.BiConsumer<Tensor, Tensor>> withIndices = new LinkedHashMap<>();
        withIndices.put("quantize", (z, idx) -> ops.quantize(z, codebook(), idx));
        withIndices.put("vqBackward", (z, idx) -> ops.vqBackward(gradFor(z), z, codebook(), idx, 0.25f, false));
        withIndices.put("emaUpdate", (z, idx) -> ops.emaUpdate(z, idx, codebook(), state(), 0.99f, 1e-5f));
        record Bad(String what, Tensor z, Tensor idx, String message) {}
        List<Bad> bad = List.of(
                new Bad("null indices", z(), null, "indices must not be null"),
                new Bad("F32 indices", z(), Tensor.zeros(DType.F32, 4), "indices must be I32, got F32[4]"),
                new Bad("indices too long", z(), Tensor.zeros(DType.I32, 5), "indices [5] must be [4] for z [4, 3]"),
                new Bad("indices rank 2 for rows", z(), Tensor.zeros(DType.I32, 4, 1), "indices [4, 1] must be [4] for z [4, 3]"),
                new Bad("flat indices for nchw", Tensor.zeros(DType.F32, 2, 3, 2, 5), Tensor.zeros(DType.I32, 20),
                        "indices [20] must be [2, 2, 5] for z [2, 3, 2, 5]"),
                new Bad("transposed nchw indices", Tensor.zeros(DType.F32, 2, 3, 2, 5), Tensor.zeros(DType.I32, 2, 5, 2),
                        "indices [2, 5, 2] must be [2, 2, 5] for z [2, 3, 2, 5]"));
        List<DynamicTest> tests = new ArrayList<>();
        for (var op : withIndices.entrySet()) {
            for (Bad b : bad) {
                tests.add(DynamicTest.dynamicTest(op.getKey() + ": " + b.what(),
                        () -> expect(b.message(), () -> op.getValue().accept(b.z(), b.idx()))));
            }
        }
        return tests;
    }

    @Test
    void vqBackwardChecks() {
        expect("gradOut must not be null", () -> ops.vqBackward(null, z(), codebook(), indices(), 0.25f, true));
        expect("gradOut must be F32, got I32[4, 3]",
                () -> ops.vqBackward(Tensor.zeros(DType.I32, 4, 3), z(), codebook(), indices(), 0.25f, true));
        expect("gradOut [4, 2] must have the shape of z [4, 3]",
                () -> ops.vqBackward(Tensor.zeros(DType.F32, 4, 2), z(), codebook(), indices(), 0.25f, true));
        expect("beta must be finite, got NaN", () -> ops.vqBackward(z(), z(), codebook(), indices(), Float.NaN, true));
        expect("beta must be finite, got Infinity",
                () -> ops.vqBackward(z(), z(), codebook(), indices(), Float.POSITIVE_INFINITY, false));
    }

    @Test
    void emaUpdateChecks() {
        expect("state must not be null", () -> ops.emaUpdate(z(), indices(), codebook(), null, 0.99f, 1e-5f));
        expect("state.clusterSize must not be null",
                () -> ops.emaUpdate(z(), indices(), codebook(), new EmaState(null, Tensor.zeros(DType.F32, 6, 3)), 0.99f, 1e-5f));
        expect("state.clusterSize must be F32, got I32[6]",
                () -> ops.emaUpdate(z(), indices(), codebook(),
                        new EmaState(Tensor.zeros(DType.I32, 6), Tensor.zeros(DType.F32, 6, 3)), 0.99f, 1e-5f));
        expect("state.clusterSize [5] must be [K] = [6] for codebook [6, 3]",
                () -> ops.emaUpdate(z(), indices(), codebook(),
                        new EmaState(Tensor.zeros(DType.F32, 5), Tensor.zeros(DType.F32, 6, 3)), 0.99f, 1e-5f));
        expect("state.embedSum [6, 2] must have the shape of codebook [6, 3]",
                () -> ops.emaUpdate(z(), indices(), codebook(),
                        new EmaState(Tensor.zeros(DType.F32, 6), Tensor.zeros(DType.F32, 6, 2)), 0.99f, 1e-5f));
        expect("decay must be in [0, 1], got 1.5", () -> ops.emaUpdate(z(), indices(), codebook(), state(), 1.5f, 1e-5f));
        expect("decay must be in [0, 1], got NaN", () -> ops.emaUpdate(z(), indices(), codebook(), state(), Float.NaN, 1e-5f));
        expect("epsilon must be finite and >= 0, got -1.0",
                () -> ops.emaUpdate(z(), indices(), codebook(), state(), 0.99f, -1f));
        expect("epsilon must be finite and >= 0, got Infinity",
                () -> ops.emaUpdate(z(), indices(), codebook(), state(), 0.99f, Float.POSITIVE_INFINITY));
    }

    @Test
    void reviveDeadCodesChecks() {
        expect("usage must not be null", () -> ops.reviveDeadCodes(codebook(), null, 1f, z(), 1L, null));
        expect("usage [5] must be [K] = [6] for codebook [6, 3]",
                () -> ops.reviveDeadCodes(codebook(), Tensor.zeros(DType.F32, 5), 1f, z(), 1L, null));
        expect("usage [6, 1] must be [K] = [6] for codebook [6, 3]",
                () -> ops.reviveDeadCodes(codebook(), Tensor.zeros(DType.I32, 6, 1), 1f, z(), 1L, null));
        expect("threshold must be finite, got NaN",
                () -> ops.reviveDeadCodes(codebook(), Tensor.zeros(DType.F32, 6), Float.NaN, z(), 1L, null));
        expect("ema.clusterSize [7] must be [K] = [6] for codebook [6, 3]",
                () -> ops.reviveDeadCodes(codebook(), Tensor.zeros(DType.F32, 6), 1f, z(), 1L,
                        new EmaState(Tensor.zeros(DType.F32, 7), Tensor.zeros(DType.F32, 6, 3))));
        expect("ema.embedSum [3, 6] must have the shape of codebook [6, 3]",
                () -> ops.reviveDeadCodes(codebook(), Tensor.zeros(DType.F32, 6), 1f, z(), 1L,
                        new EmaState(Tensor.zeros(DType.F32, 6), Tensor.zeros(DType.F32, 3, 6))));
    }

    private static void expect(String message, Executable call) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, call);
        assertEquals(message, ex.getMessage());
    }
}
