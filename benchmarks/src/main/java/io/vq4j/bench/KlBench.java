package io.vq4j.bench;

import io.vq4j.ops.CpuOps;
import io.vq4j.ops.KlReduction;
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
 * KL divergence to N(0, I), summed: vq4j's twin (per-chunk double partials, multithreaded)
 * against {@link NaiveGaussian#klSum} (one thread, double sum).
 *
 * <p>Napkin math at n = 4M: 8 bytes an element read (mu, logvar) = 34 MB, ~2-3 ms at the ~15 GB/s
 * two cores read; vq4j's terms are fp32 polynomials in vectorised loops (~2.3 ns an element a
 * core, ~5 ms on two), the reference's a Math.expm1 each (~30 ns, one thread). Compute is the floor.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class KlBench {
    @Param({"4194304"})
    public int n;

    private final CpuOps ops = new CpuOps();
    private float[] mu, logvar;
    private Tensor mut, lvt;

    @Setup
    public void setup() {
        mu = BenchData.normal(5, n);
        logvar = BenchData.normal(6, n);
        mut = Tensor.of(mu, n);
        lvt = Tensor.of(logvar, n);
    }

    @Benchmark
    public Tensor vq4j() {
        return ops.klDivergence(mut, lvt, KlReduction.SUM);
    }

    @Benchmark
    public double reference() {
        return NaiveGaussian.klSum(mu, logvar);
    }
}
