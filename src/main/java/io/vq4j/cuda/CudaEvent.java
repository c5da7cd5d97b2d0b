package io.vq4j.cuda;

import jcuda.driver.CUevent;
import jcuda.driver.JCudaDriver;

/** A CUDA event, for timing (elapsed milliseconds between two events on a stream) and ordering. */
public final class CudaEvent implements AutoCloseable {
    private final CudaContext context;
    private final CUevent event = new CUevent();
    private boolean closed;

    public CudaEvent(CudaContext context) {
        this.context = context;
        context.bind();
        CudaCheck.check(JCudaDriver.cuEventCreate(event, 0), "cuEventCreate");
    }

    public void record(CudaStream stream) {
        context.bind();
        CudaCheck.check(JCudaDriver.cuEventRecord(event, stream.jcuda()), "cuEventRecord");
    }

    public void synchronize() {
        context.bind();
        CudaCheck.check(JCudaDriver.cuEventSynchronize(event), "cuEventSynchronize");
    }

    /** Milliseconds from {@code start} to this event (both recorded, this one completed). */
    public float elapsedMillisSince(CudaEvent start) {
        float[] ms = new float[1];
        context.bind();
        CudaCheck.check(JCudaDriver.cuEventElapsedTime(ms, start.event, event), "cuEventElapsedTime");
        return ms[0];
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        context.bind();
        CudaCheck.check(JCudaDriver.cuEventDestroy(event), "cuEventDestroy");
    }
}
