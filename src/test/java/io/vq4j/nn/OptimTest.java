package io.vq4j.nn;

import io.vq4j.TestData;
import io.vq4j.ops.AdamConfig;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Adam / AdamW over parameters, and the LR schedules against PyTorch's formulas. */
class OptimTest {
    static final Backend B = Backend.cpu();

    @AfterAll
    static void close() { B.close(); }

    /** A module with one parameter, for optimizer tests. */
    static final class One extends Module {
        final Parameter p;

        One(float[] init, boolean trainable) {
            super(B);
            p = addParameter("p", init, trainable, init.length);
        }
    }

    /**
     * torch.optim.lr_scheduler.OneCycleLR.get_lr (three_phase=False, anneal_strategy='cos'),
     * transliterated: phases end at float(pct_start * total_steps) - 1 and total_steps - 1.
     * Returns {lr, momentum}.
     */
    static double[] torchOneCycle(int stepNum, double maxLr, int totalSteps) {
        double initialLr = maxLr / 25.0, minLr = initialLr / 1e4;
        double[][] phases = {
            {0.3 * totalSteps - 1, initialLr, maxLr, 0.95, 0.85},
            {totalSteps - 1, maxLr, minLr, 0.85, 0.95},
        };
        double start = 0;
        for (int i = 0; i < phases.length; i++) {
            double end = phases[i][0];
            if (stepNum <= end || i == phases.length - 1) {
                double pct = (stepNum - start) / (end - start);
                return new double[] {cos(phases[i][1], phases[i][2], pct), cos(phases[i][3], phases[i][4], pct)};
            }
            start = phases[i][0];
        }
        throw new AssertionError();
    }

    static double cos(double start, double end, double pct) {
        double cosOut = Math.cos(Math.PI * pct) + 1;
        return end + (start - end) / 2.0 * cosOut;
    }

    @Test
    void oneCycleMatchesPyTorch() {
        for (int total : new int[] {10, 100, 1003}) {
            OneCycleLr s = OneCycleLr.of(1e-3, total);
            for (int step = 0; step <= total; step++) {
                double[] want = torchOneCycle(step, 1e-3, total);
                assertEquals(want[0], s.lr(step), 1e-15 * want[0], "lr total=" + total + " step=" + step);
                assertEquals(want[1], s.beta1(step, 0.9), 1e-15, "beta1 total=" + total + " step=" + step);
            }
            assertThrows(IllegalArgumentException.class, () -> s.lr(total + 1));
        }
        // anchors: start at max/25, peak at max, end at max/25/1e4; beta1 0.95 -> 0.85 -> 0.95
        OneCycleLr s = OneCycleLr.of(1e-3, 100);
        assertEquals(4e-5, s.lr(0), 1e-18);
        assertEquals(0.95, s.beta1(0, 0.9), 1e-15);
        assertEquals(1e-3, s.lr(29), 1e-15); // phase 1 ends at 0.3 * 100 - 1 = 29
        assertEquals(0.85, s.beta1(29, 0.9), 1e-12);
        assertEquals(4e-9, s.lr(99), 1e-20);
        assertEquals(0.95, s.beta1(99, 0.9), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> OneCycleLr.of(1e-3, 3), "empty phase");
    }

    @Test
    void constantScheduleKeepsBeta1() {
        LrSchedule c = LrSchedule.constant(2e-3);
        assertEquals(2e-3, c.lr(12345));
        assertEquals(0.9, c.beta1(7, 0.9));
    }

    @Test
    void adamStepIsTheOpWithTheScheduleApplied() {
        float[] init = TestData.gaussian(1, 37, 1), grad = TestData.gaussian(2, 37, 1);
        try (One m = new One(init.clone(), true)) {
            Adam opt = Adam.adam(B, m.parameters(), OneCycleLr.of(1e-2, 50));
            float[] p = init.clone(), mm = new float[37], vv = new float[37];
            for (int t = 1; t <= 3; t++) {
                m.p.setGrad(Tensor.of(grad.clone(), 37));
                opt.step();
                OneCycleLr s = OneCycleLr.of(1e-2, 50);
                AdamConfig c = new AdamConfig((float) s.lr(t - 1), (float) s.beta1(t - 1, 0.9), 0.999f, 1e-8f, 0f, false);
                B.layers().adamStep(Tensor.of(p, 37), Tensor.of(grad.clone(), 37), Tensor.of(mm, 37), Tensor.of(vv, 37), c, t);
                assertArrayEquals(p, m.p.value().toFloatArray(), "param after step " + t);
                assertArrayEquals(mm, m.p.adamM().toFloatArray(), "m after step " + t);
            }
            assertEquals(3, opt.steps());
        }
    }

    @Test
    void adamWDecaysTheWeightsAndAdamDoesNot() {
        float[] init = TestData.gaussian(3, 64, 1), grad = TestData.gaussian(4, 64, 1);
        try (One a = new One(init.clone(), true); One w = new One(init.clone(), true)) {
            Adam adam = Adam.adam(B, a.parameters(), LrSchedule.constant(1e-2));
            Adam adamW = Adam.adamW(B, w.parameters(), 0.1f, LrSchedule.constant(1e-2));
            a.p.setGrad(Tensor.of(grad.clone(), 64));
            w.p.setGrad(Tensor.of(grad.clone(), 64));
            adam.step();
            adamW.step();
            float[] pa = a.p.value().toFloatArray(), pw = w.p.value().toFloatArray();
            // AdamW: p <- p * (1 - lr * wd) before the same Adam update, so the difference is -lr*wd*p0
            for (int i = 0; i < 64; i++) {
                assertEquals(-1e-2 * 0.1 * init[i], (double) pw[i] - pa[i], 1e-6, "element " + i);
            }
            // the first Adam step moves every weight by about lr against the gradient's sign
            for (int i = 0; i < 64; i++) assertEquals(-1e-2 * Math.signum(grad[i]), (double) pa[i] - init[i], 1e-4);
        }
    }

    @Test
    void frozenAndGradlessParametersAreSkipped() {
        try (One frozen = new One(new float[] {1, 2}, false); One fresh = new One(new float[] {3}, true)) {
            frozen.p.setGrad(Tensor.of(new float[] {5, 5}, 2));
            Adam opt = Adam.adam(B, List.of(frozen.p, fresh.p), LrSchedule.constant(0.1));
            opt.step();
            assertArrayEquals(new float[] {1, 2}, frozen.p.value().toFloatArray());
            assertArrayEquals(new float[] {3}, fresh.p.value().toFloatArray());
            assertNull(frozen.p.adamM(), "no moments for a frozen parameter");
        }
    }

    @Test
    void momentsAreFreedWithTheParameter() {
        One m = new One(new float[] {1}, true);
        m.p.setGrad(Tensor.of(new float[] {1}, 1));
        Adam.adam(B, m.parameters(), LrSchedule.constant(0.1)).step();
        Tensor mm = m.p.adamM(), vv = m.p.adamV(), g = m.p.grad();
        m.close();
        assertTrue(mm.isClosed() && vv.isClosed() && g.isClosed() && m.p.value().isClosed());
    }
}
