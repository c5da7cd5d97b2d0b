package io.vq4j;

import io.vq4j.cuda.Cuda;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;

/**
 * Base of every GPU test: tagged "gpu", and skipped (with the reason) where CUDA is unavailable.
 * Kernel launches are synchronized and checked one by one in tests (vq4j.cuda.syncCheck).
 */
@Tag("gpu")
public abstract class GpuTest {
    static {
        System.setProperty("vq4j.cuda.syncCheck", "true");
    }

    @BeforeEach
    void requireGpu() {
        Assumptions.assumeTrue(Cuda.isAvailable(), () -> "no usable GPU: " + Cuda.unavailableReason());
    }
}
