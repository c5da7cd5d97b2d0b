package io.vq4j.bench;

import io.vq4j.ops.CpuOps;
import io.vq4j.ops.Tensor;
import io.vq4j.ops.VqGrads;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Backward of the VQ layer (straight-through gradZ, codebook gradient as a segment sum, counts):
 * vq4j's twin ({@code CpuOps.vqBackward}, deterministic: sort by code, then sum each segment in
 * parallel) against {@link NaiveVq#backward} (one thread, scatter-add).
 *
 * <p>Napkin math at N=65536, D=64, K=512: gradOut, z read and gradZ written (3 x 16.8 MB), the
 * codebook and its gradient (2 x 128 KB), indices (256 KB): ~51 MB, ~5 ms at 10 GB/s; about
 * 5 FLOPs an element of z (~21 MFLOP, 0.13 ms at 160 GFLOP/s): memory is the floor.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class VqBackwardBench {
    @Param({"65536"})
    public int n;
    @Param({"64"})
    public int d;
    @Param({"512"})
    public int k;

    private static final float BETA = 0.25f;
    private final CpuOps ops = new CpuOps();
    private float[] gradOut, z, codebook;
    private int[] idx;
    private Tensor gt, zt, et, it;

    @Setup
    public void setup() {
        gradOut = BenchData.normal(7, n * d);
        z = BenchData.normal(8, n * d);
        codebook = BenchData.normal(9, k * d);
        idx = BenchData.indices(10, n, k);
        gt = Tensor.of(gradOut, n, d);
        zt = Tensor.of(z, n, d);
        et = Tensor.of(codebook, k, d);
        it = Tensor.ofInts(idx, n);
    }

    @Benchmark
    public VqGrads vq4j() {
        return ops.vqBackward(gt, zt, et, it, BETA, true);
    }

    @Benchmark
    public NaiveVq.Grads reference() {
        return NaiveVq.backward(gradOut, z, codebook, idx, n, d, k, BETA);
    }
}
