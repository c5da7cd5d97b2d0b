package io.vq4j;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Base of every GPU test: tagged "gpu", and skipped with the reason where CUDA is unavailable
 * ({@link RequiresGpu}). Kernel launches are synchronized and checked one by one in tests
 * (vq4j.cuda.syncCheck), so an asynchronous fault names its kernel.
 */
@Tag("gpu")
@ExtendWith(RequiresGpu.class)
public abstract class GpuTest {
    static {
        System.setProperty("vq4j.cuda.syncCheck", "true");
    }
}
