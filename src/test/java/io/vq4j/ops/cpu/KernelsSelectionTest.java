package io.vq4j.ops.cpu;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The build's two test runs get the kernels they are meant to test: the main run (with
 * --add-modules jdk.incubator.vector) the Vector API ones, the portable run (without) the
 * portable ones, by the fallback users without the flag get. Set by the surefire configuration.
 */
class KernelsSelectionTest {
    @Test
    void theExpectedKernelsAreSelected() {
        String expect = System.getProperty("vq4j.test.expectKernels", "");
        String got = Kernels.get().name();
        assertTrue(got.startsWith(expect), () -> "expected kernels " + expect + ", got " + got);
        if (expect.equals("portable")) assertTrue(Kernels.vectorOrNull() == null);
    }
}
