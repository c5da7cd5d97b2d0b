package io.vq4j.cuda;

import jcuda.driver.CUdeviceptr;

/**
 * A {@link CUdeviceptr} whose raw device address is readable: FFM calls into cuBLAS and cuDNN
 * take device memory as a plain address, and JCuda keeps {@code getNativePointer()} protected.
 */
public final class DevicePointer extends CUdeviceptr {
    public DevicePointer() {}

    /** The raw device address (0 when not allocated). */
    public long address() { return getNativePointer(); }
}
