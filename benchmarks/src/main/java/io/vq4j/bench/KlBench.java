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
 * two cores read. vq4j's term is two fp32 polynomials (degree 12 and 7, ~25 FMAs), a pick and an
 * fma, summed in double lanes: ~45 vector instructions per 8 elements. With the Vector API (this
 * fork adds {@code --add-modules jdk.incubator.vector}) that is ~1.35 ns an element a core, ~2.8 ms
 * on two; the portable loops (eleven passes over L1 scratch) take ~3 ns, ~6.5 ms. The reference's
 * Math.expm1 is ~30 ns an element, one thread. Compute is the floor, with memory close behind.
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
