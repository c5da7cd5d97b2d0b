package io.vq4j.ops;

import io.vq4j.cuda.Cuda;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class BackendsTest {
    @Test
    void cpuCanAlwaysBeForced() {
        try (Ops ops = Backends.create("cpu")) {
            assertEquals("cpu", ops.name());
        }
        assertTrue(Backends.choiceReason().startsWith("cpu"));
    }

    @Test
    void unknownBackendIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.create("tpu"));
        assertTrue(e.getMessage().contains("'tpu'") && e.getMessage().contains("auto, cpu or cuda"), e.getMessage());
    }

    @Test
    void forcingCudaWithoutAGpuIsAnErrorNotAFallback() {
        if (Cuda.isAvailable()) {
            try (Ops ops = Backends.create("cuda")) {
                assertEquals("cuda", ops.name());
            }
            return;
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Backends.create("cuda"));
        assertTrue(e.getMessage().contains("CUDA is not available: " + Cuda.unavailableReason()), e.getMessage());
    }

    @Test
    void autoPicksCudaExactlyWhenAvailable() {
        try (Ops ops = Backends.create("auto")) {
            assertEquals(Cuda.isAvailable() ? "cuda" : "cpu", ops.name());
            assertNotNull(Backends.choiceReason());
            System.out.println("[backend] " + Backends.choiceReason());
        }
    }

    @Test
    void unavailableReasonIsSaid() {
        if (!Cuda.isAvailable()) {
            assertNotNull(Cuda.unavailableReason());
            assertFalse(Cuda.unavailableReason().isBlank());
        } else {
            assertNull(Cuda.unavailableReason());
        }
    }
}
