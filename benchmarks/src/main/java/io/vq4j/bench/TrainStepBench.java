package io.vq4j.bench;

import io.vq4j.model.ConvVQVAE;
import io.vq4j.model.StepResult;
import io.vq4j.nn.Adam;
import io.vq4j.nn.Backend;
import io.vq4j.nn.ConstantLr;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * One CPU training step of the default conv VQ-VAE at Fashion-MNIST size (batch 64, 1x32x32,
 * hidden 64/128/256, D 64, K 512): forward, losses, backward, AdamW (lr 1e-3, weight decay
 * 0.01) and the after-step hook, the counterpart of bench_ops_cpu.py's "train step" row (the
 * same model from models.py, the same optimizer). There is no plain-Java reference here: the
 * row compares against PyTorch only.
 *
 * <p>Napkin math: the 3x3 stride-2 convolutions 64->128 (8x8 out) and 128->256 (4x4 out) and their
 * two transposed mirrors are 0.6 GFLOP each forward, 2 x that backward; with the small layers
 * about 7.5 GFLOP a step, so ~50 ms at 150 GFLOP/s (two AVX2 cores) and ~250 ms at 30 GFLOP/s.
 * Two input batches uniform in [-1, 1] alternate, as on the PyTorch side.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class TrainStepBench {
    @Param({"64"})
    public int batch;
    @Param({"1x32x32"})
    public String image;

    private Backend backend;
    private ConvVQVAE model;
    private Adam adam;
    private Tensor[] inputs;
    private int next;

    @Setup
    public void setup() {
        String[] chw = image.split("x");
        int c = Integer.parseInt(chw[0]), h = Integer.parseInt(chw[1]), w = Integer.parseInt(chw[2]);
        backend = Backend.cpu();
        model = new ConvVQVAE(backend, ConvVQVAE.Config.defaults(c));
        model.train(true);
        adam = Adam.adamW(backend, model.parameters(), 0.01f, new ConstantLr(1e-3));
        inputs = new Tensor[] {
                Tensor.of(BenchData.uniform(21, batch * c * h * w, -1f, 1f), batch, c, h, w),
                Tensor.of(BenchData.uniform(22, batch * c * h * w, -1f, 1f), batch, c, h, w)};
    }

    @TearDown
    public void tearDown() {
        model.close();
        backend.close();
    }

    @Benchmark
    public double vq4j() {
        StepResult r = model.forwardBackward(inputs[next++ & 1]);
        adam.step();
        model.afterStep();
        return r.totalValue();
    }
}
