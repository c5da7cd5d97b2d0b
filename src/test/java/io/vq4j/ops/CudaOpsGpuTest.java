package io.vq4j.ops;

import io.vq4j.GpuTest;
import io.vq4j.cuda.DeviceBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A GPU test of the op facade with a fresh CUDA backend per test, its CPU twin, and a leak check
 * after every test: the number of open device buffers must be what it was before.
 */
abstract class CudaOpsGpuTest extends GpuTest {
    protected CudaOps cuda;
    protected final CpuOps cpu = new CpuOps();
    private long liveBefore;

    @BeforeEach
    void openBackendAndCountBuffers() {
        cuda = new CudaOps();
        cuda.synchronize();
        liveBefore = DeviceBuffer.liveBuffers();
    }

    @AfterEach
    void noLeaks() {
        cuda.synchronize();
        assertEquals(liveBefore, DeviceBuffer.liveBuffers(), "device buffers leaked by the test or the op");
        cuda.close();
    }
}
