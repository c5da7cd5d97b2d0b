package io.vq4j.bench;

import io.vq4j.cuda.CudaStream;
import io.vq4j.cuda.CudaTimer;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.ffm.CublasHandle;
import io.vq4j.cuda.ffm.CublasMathMode;
import io.vq4j.cuda.ffm.CublasOp;
import io.vq4j.ops.CudaOps;
import io.vq4j.ops.Tensor;

/**
 * The speeds of light of this GPU, measured in the same run as the ops (as bench_ops.py does):
 * a 1 GiB device-to-device copy (bytes read + written per second) and an 8192^3 cuBLAS SGEMM
 * (FLOP/s) in full FP32 and in TF32.
 */
record Floors(double copyBytesPerSecond, double fp32FlopsPerSecond, double tf32FlopsPerSecond) {

    static Floors measure(CudaOps gpu) {
        CudaStream stream = gpu.runtime().stream();
        double copy = copyBandwidth(stream);
        double[] gemm;
        try {
            gemm = sgemmRates(gpu, stream, 8192);
        } catch (RuntimeException e) {
            // without cuBLAS the floors are the copy's alone (flops / NaN counts as 0 in floorMs)
            System.err.println("GpuBench: no SGEMM floor: " + e.getMessage());
            gemm = new double[] {Double.NaN, Double.NaN};
        }
        return new Floors(copy, gemm[0], gemm[1]);
    }

    /** 2 * 1 GiB / the median time of a D2D copy of 1 GiB (read and written both count). */
    private static double copyBandwidth(CudaStream stream) {
        long bytes = 1L << 30;
        try (DeviceBuffer src = new DeviceBuffer(stream, bytes); DeviceBuffer dst = new DeviceBuffer(stream, bytes)) {
            src.fill32(Float.floatToRawIntBits(1f));
            CudaTimer.Stats s = CudaTimer.time(stream, 3, 20, i -> dst.copyFromDevice(src, 0, 0, bytes));
            return 2.0 * bytes / (s.median() * 1e-3);
        }
    }

    /** {FP32, TF32} FLOP/s of C = A B with random m x m matrices (2 m^3 FLOPs a call). */
    private static double[] sgemmRates(CudaOps gpu, CudaStream stream, int m) {
        double flops = 2.0 * m * m * m;
        try (Tensor a = gpu.standardNormal(1, 0, m, m); Tensor b = gpu.standardNormal(2, 0, m, m);
             DeviceBuffer c = new DeviceBuffer(stream, 4L * m * m); CublasHandle h = new CublasHandle(stream)) {
            long pa = a.deviceBuffer().address(), pb = b.deviceBuffer().address(), pc = c.address();
            Runnable gemm = () -> h.sgemm(CublasOp.N, CublasOp.N, m, m, m, 1f, pa, m, pb, m, 0f, pc, m);
            CudaTimer.Stats fp32 = CudaTimer.time(stream, 2, 10, i -> gemm.run());
            h.setMathMode(CublasMathMode.TF32_TENSOR_OP);
            CudaTimer.Stats tf32 = CudaTimer.time(stream, 2, 10, i -> gemm.run());
            return new double[] {flops / (fp32.median() * 1e-3), flops / (tf32.median() * 1e-3)};
        }
    }
}
