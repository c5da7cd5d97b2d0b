package io.vq4j.bench;

import io.vq4j.ops.CpuOps;
import io.vq4j.ops.NearestCode;
import io.vq4j.ops.Tensor;
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
 * Fused distance + argmin on the CPU: vq4j's twin ({@code CpuOps.nearestCode}, multithreaded,
 * blocked ||z||^2 - 2 z.e + ||e||^2) against {@link NaiveVq#nearest} (one thread, sum of squared
 * differences per code).
 *
 * <p>Napkin math at N=65536, D=64, K=512: 2*N*D*K = 4.3 GFLOP; z 16.8 MB + codebook 128 KB read,
 * 256 KB of indices written (17 MB). On this 2-core AVX2 machine (2 x 8-wide FMA pipes a core,
 * ~2.5 GHz: ~160 GFLOP/s peak, ~10 GB/s) the floor is compute: ~27 ms; memory alone ~2 ms.
 * vq4j's scores (cpu/VectorScores, with the Vector API) keep 4 vectors x 16 codes of
 * accumulators in registers: 2 code loads and 4 broadcasts feed 8 FMAs, ~50 GFLOP/s a core
 * (the portable one-vector loop loads 9 values per 8 FMAs: ~35). So ~45 ms of scores on two
 * cores, plus the candidate filter and re-rank (~one pass over the N x K scores).
 * The naive loop's in-order float sum runs at about one add per 4 cycles (the add latency):
 * ~1 GFLOP/s, seconds per call. N=4096 is the same per vector, 16x fewer vectors.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class NearestCodeBench {
    @Param({"4096", "65536"})
    public int n;
    @Param({"64"})
    public int d;
    @Param({"512"})
    public int k;

    private final CpuOps ops = new CpuOps();
    private float[] z, codebook;
    private Tensor zt, et;

    @Setup
    public void setup() {
        z = BenchData.normal(1, n * d);
        codebook = BenchData.normal(2, k * d);
        zt = Tensor.of(z, n, d);
        et = Tensor.of(codebook, k, d);
    }

    @Benchmark
    public NearestCode vq4j() {
        return ops.nearestCode(zt, et, false);
    }

    @Benchmark
    public int[] reference() {
        return NaiveVq.nearest(z, codebook, n, d, k);
    }
}
