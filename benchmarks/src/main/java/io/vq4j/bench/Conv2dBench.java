package io.vq4j.bench;

import io.vq4j.ops.Conv2dSpec;
import io.vq4j.ops.CpuLayerOps;
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
 * Conv2d forward on the layers of a Fashion-MNIST encoder (4x4 kernels, stride 2, padding 1):
 * vq4j's {@code CpuLayerOps.conv2d} (im2col + blocked GEMM, multithreaded) against
 * {@link NaiveConv#conv2d} (the direct seven loops, one thread).
 * {@code layer} is {@code CxHxW>O}: input channels and size, output channels.
 *
 * <p>Napkin math, batch 64: 1x28x28>32 (out 14x14) is 2*64*32*196*1*16 = 12.8 MFLOP on 200 KB
 * in, 1.6 MB out (memory-bound at ~0.2 ms); 32x14x14>64 (out 7x7) is 2*64*64*49*32*16 = 205
 * MFLOP on 1.6 MB in, 0.8 MB out: ~1.3 ms at the 160 GFLOP/s peak of two AVX2 cores.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class Conv2dBench {
    @Param({"1x28x28>32", "32x14x14>64"})
    public String layer;
    @Param({"64"})
    public int batch;

    static final int KERNEL = 4, STRIDE = 2, PAD = 1;

    private final CpuLayerOps ops = new CpuLayerOps();
    private final Conv2dSpec spec = Conv2dSpec.of(STRIDE, PAD);
    private int c, h, w, o;
    private float[] x, weight, bias;
    private Tensor xt, wt, bt;

    @Setup
    public void setup() {
        int[] l = parse(layer);
        c = l[0];
        h = l[1];
        w = l[2];
        o = l[3];
        x = BenchData.normal(11, batch * c * h * w);
        weight = BenchData.normal(12, o * c * KERNEL * KERNEL);
        bias = BenchData.normal(13, o);
        xt = Tensor.of(x, batch, c, h, w);
        wt = Tensor.of(weight, o, c, KERNEL, KERNEL);
        bt = Tensor.of(bias, o);
    }

    /** {@code "CxHxW>O"} as {C, H, W, O}. */
    static int[] parse(String layer) {
        String[] io = layer.split(">");
        String[] in = io.length == 2 ? io[0].split("x") : new String[0];
        if (in.length != 3) {
            throw new IllegalArgumentException("layer must be CxHxW>O, e.g. 32x14x14>64, got '" + layer + "'");
        }
        return new int[] {Integer.parseInt(in[0]), Integer.parseInt(in[1]), Integer.parseInt(in[2]), Integer.parseInt(io[1])};
    }

    @Benchmark
    public Tensor vq4j() {
        return ops.conv2d(xt, wt, bt, spec);
    }

    @Benchmark
    public float[] reference() {
        return NaiveConv.conv2d(x, weight, bias, batch, c, h, w, o, KERNEL, STRIDE, PAD);
    }
}
