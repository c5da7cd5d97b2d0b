package io.vq4j.bench;

import io.vq4j.ops.CpuOps;
import io.vq4j.ops.Reparameterized;
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
 * {@code z = mu + exp(logvar/2) * eps} on the CPU: vq4j's twin (Philox4x32-10 + Box-Muller drawn
 * in the loop, multithreaded) against {@link NaiveGaussian#reparameterize} (one thread,
 * {@code SplittableRandom.nextGaussian}).
 *
 * <p>Napkin math at n = 4M: 12 bytes an element (mu, logvar read, z written) = 50 MB, ~5 ms at
 * 10 GB/s. The cost is arithmetic: a Philox block (10 rounds of two 32x32 multiplies) per 4
 * elements; a log, a sqrt, a divide and a sin/cos pair per 2 (in double, ~70 flops: the stream is
 * defined to double rounding); an exp per element. With the Vector API kernels (this JMH fork adds
 * {@code --add-modules jdk.incubator.vector}) one core spends about 0.7 ns an element on Philox,
 * 2.3 on Box-Muller (4 double lanes: the divider alone is ~0.7), 0.35 on interleaving the lanes and
 * 0.8 on the sample: ~4 ns, so ~9 ms on two cores plus ~1.5 ms to allocate and zero z. The floor
 * is that arithmetic, not memory. (The portable loops: ~8 ns for the normals alone.)
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class ReparameterizeBench {
    @Param({"4194304"})
    public int n;

    private final CpuOps ops = new CpuOps();
    private float[] mu, logvar;
    private Tensor mut, lvt;
    private long seed;

    @Setup
    public void setup() {
        mu = BenchData.normal(3, n);
        logvar = BenchData.normal(4, n);
        mut = Tensor.of(mu, n);
        lvt = Tensor.of(logvar, n);
    }

    @Benchmark
    public Reparameterized vq4j() {
        return ops.reparameterize(mut, lvt, ++seed, 0, false);
    }

    @Benchmark
    public float[] reference() {
        return NaiveGaussian.reparameterize(mu, logvar, ++seed);
    }
}
