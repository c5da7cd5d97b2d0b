package io.vq4j.bench;

/**
 * One benchmarked op at one shape, with its napkin math: the bytes it must move and the FLOPs it
 * must do, by the SAME formulas as benchmarks/pytorch/bench_ops.py, so both sides get the same
 * floor and report.py can put them in one row. {@code op} and {@code shape} are spelled exactly
 * as bench_ops.py spells them (they are the merge key).
 */
record Workload(String op, String shape, long bytes, double flops, boolean tensorCores) {
    /** A workload whose FLOPs are floored at the SGEMM (FP32) rate. */
    Workload(String op, String shape, long bytes, double flops) {
        this(op, shape, bytes, flops, false);
    }

    /** The H100's L2 (50 MB), as bench_ops.py takes it. */
    static final long L2_BYTES = 50L << 20;

    /**
     * z and the codebook read once, indices (4 B) and zq (4 D B) written per vector. From D = 16
     * vq4j searches on the tensor cores (TF32, then an exact re-rank: CudaNearest's AUTO rule at
     * these sizes), so the FLOPs are floored at the TF32 rate there: the floor of the method used.
     */
    static Workload nearestQuantize(int n, int d, int k) {
        long bytes = 4L * ((long) n * d + (long) k * d) + 4L * n + 4L * n * d;
        return new Workload("nearest+quantize", "N=" + n + " D=" + d + " K=" + k, bytes, 2.0 * n * d * k, d >= 16);
    }

    /** mu and logvar read, z written. */
    static Workload reparameterize(long n) {
        return new Workload("reparameterize", "n=" + n, 12L * n, 0);
    }

    /** mu and logvar read; the sum is one float. */
    static Workload kl(long n) {
        return new Workload("kl", "n=" + n, 8L * n, 0);
    }

    /** Forward reads mu, logvar and writes z; backward reads logvar (eps regenerated), writes dmu, dlogvar. */
    static Workload reparamKlFwdBwd(long n) {
        return new Workload("reparam+kl fwd+bwd", "n=" + n, 24L * n, 0);
    }

    /** The same step through the fused ops, with the same accounting (not in bench_ops.py). */
    static Workload reparamKlFwdBwdFused(long n) {
        return new Workload("reparam+kl fwd+bwd fused", "n=" + n, 24L * n, 0);
    }

    /** bench_ops.py's count for the quantizer forward and backward: 5 passes over N*D, the codebook twice. */
    static Workload quantizerFwdBwd(int n, int d, int k) {
        return quantizerFwdBwd("quantizer fwd+bwd", n, d, k);
    }

    static Workload quantizerFwdBwd(String op, int n, int d, int k) {
        long bytes = 4L * n * d * 5 + 8L * k * d;
        return new Workload(op, "N=" + n + " D=" + d + " K=" + k, bytes, 2.0 * n * d * k, d >= 16);
    }

    /**
     * One training step of the conv VAE ({@code vae}) or conv VQ-VAE with the reference widths
     * (64, 128, 256), on {@code batch} images {@code channels x size x size}: op "train step", shape
     * as bench_train_step.py's rows spell it in report.py (e.g. "ConvVAE 8x3x512x512 AdamW").
     * FLOPs: every convolution three times (forward, backward-data, backward-filter) at
     * 2 * (output positions of the direct conv) * Cin * Cout * k^2, plus the VQ distance GEMM;
     * bytes 0: the floor is the convolutions at the SGEMM rate (the elementwise passes come on top).
     */
    static Workload trainStep(boolean vae, int batch, int channels, int size) {
        int[] hidden = {64, 128, 256};
        int latent = vae ? 4 : 64, k = 512;
        double macs = 0;
        int c = channels, s = size;
        for (int h : hidden) { // Conv2d(c, h, 3, 2, 1): output s/2
            s /= 2;
            macs += (double) batch * s * s * c * h * 9;
            c = h;
        }
        int s8 = size / 8;
        macs += (double) batch * s8 * s8 * 256 * latent * (vae ? 2 : 1); // 1x1 heads (mu and logvar, or to D)
        macs += (double) batch * s8 * s8 * latent * 256;                // decoder.0, 1x1 transposed
        int[] outs = {128, 64, channels};
        c = 256;
        s = s8;
        for (int o : outs) { // ConvTranspose2d(c, o, 3, 2, 1, 1): each input pixel meets 9 taps per output channel
            macs += (double) batch * s * s * c * o * 9;
            c = o;
            s *= 2;
        }
        double flops = 3 * 2 * macs;
        if (!vae) flops += 2.0 * batch * s8 * s8 * latent * k; // nearest code, forward only
        String shape = (vae ? "ConvVAE " : "ConvVQVAE ") + batch + "x" + channels + "x" + size + "x" + size + " AdamW";
        return new Workload("train step", shape, 0, flops);
    }

    /**
     * Milliseconds at the copy bandwidth or the matrix rate (TF32 for a tensor-core workload, else
     * SGEMM), whichever is slower: the speed of light.
     */
    double floorMs(Floors f) {
        double rate = tensorCores ? f.tf32FlopsPerSecond() : f.fp32FlopsPerSecond();
        double compute = rate > 0 && Double.isFinite(rate) ? flops / rate : 0;
        return 1e3 * Math.max(bytes / f.copyBytesPerSecond(), compute);
    }

    /**
     * How many input sets to rotate so together they exceed the L2 twice (at least 2, at most 8):
     * bench_ops.py's {@code rotations}, fed the op's bytes as the size of a set, as it does.
     */
    static int rotations(long bytesPerSet) {
        return (int) Math.max(2, Math.min(8, (2 * L2_BYTES) / Math.max(1, bytesPerSet) + 1));
    }
}
