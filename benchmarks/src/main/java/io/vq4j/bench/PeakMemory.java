package io.vq4j.bench;

import io.vq4j.cuda.CudaStream;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.MemoryPool;
import io.vq4j.ops.CudaOps;
import io.vq4j.ops.NearestQuantized;
import io.vq4j.ops.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Peak device memory of one fused nearestQuantize (indices + zq), relative to what the op cannot avoid holding
 * (its inputs and outputs). Method: the high-water mark of the stream-ordered allocator's pool
 * ({@link MemoryPool}, reset just before the call), minus the pool's use before it, gives the bytes
 * the op held at its worst moment (outputs + scratch); outputs alone are the growth of
 * {@link DeviceBuffer#liveBytes()} while the results are still open. cuMemGetInfo cannot see this:
 * the pool keeps freed blocks and scratch is gone by the time the call returns.
 */
final class PeakMemory {
    private PeakMemory() {}

    static Map<String, Object> nearestQuantize(CudaOps gpu, Tensor z, Tensor codebook) {
        CudaStream stream = gpu.runtime().stream();
        Map<String, Object> m = new LinkedHashMap<>();
        long inputs = 4L * (z.numel() + codebook.numel());
        stream.trimCache(); // blocks kept for reuse would hide the op's own allocations from the pool's counters
        stream.synchronize();
        long live0 = DeviceBuffer.liveBytes();
        MemoryPool pool;
        long base;
        try {
            pool = MemoryPool.ofDevice(gpu.runtime().context().ordinal());
            pool.resetHigh();
            base = pool.usedCurrent();
        } catch (RuntimeException e) {
            m.put("memory_method", "unavailable: " + e.getMessage());
            return m;
        }
        NearestQuantized q = gpu.nearestQuantize(z, codebook);
        try {
            stream.synchronize(); // the results stay open: their bytes are the outputs
            long outputs = DeviceBuffer.liveBytes() - live0;
            long held = pool.usedHigh() - base;
            m.put("memory_method", "cuMemPool USED_MEM_HIGH around one call; outputs by DeviceBuffer.liveBytes");
            m.put("inputs_bytes", inputs);
            m.put("outputs_bytes", outputs);
            m.put("scratch_peak_bytes", held - outputs);
            m.put("peak_bytes", inputs + held);
            m.put("peak_over_io", (double) (inputs + held) / (inputs + outputs));
            return m;
        } finally {
            q.close();
        }
    }
}
