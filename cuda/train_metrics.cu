// train_metrics.cu: a training loop's per-epoch sums, kept on the device so that a step reads
// nothing back (the trainer reads them once per epoch, or when its progress display wants a value).
//
// train_metrics_accumulate: one launch per training step, queued after the step. Thread 0 adds the
//   step's scalars to the double sums in exactly the order and precision the host loop used
//   (sum += (double) float, the reconstruction divided by its element count first), so the epoch
//   means are bit for bit what reading every step gave; it also records the first non-finite total
//   (its step within the epoch, plus one, and its value) and the epoch's first total. Every thread
//   adds the step's code counts (I32 [K]) into 64-bit sums. Single writer per slot, so no atomics
//   and no ordering question: the launches of consecutive steps are ordered by the stream.
//   Napkin math: K * 12 bytes (K = 512: 6 KB) plus a few scalars; a few microseconds, all launch.
//
// Sums layout (doubles), shared with io.vq4j.cuda.kernels.TrainMetricsKernels:
//   0 total, 1 reconstruction per element, 2 codebook, 3 commitment, 4 kl,
//   5 value of the first non-finite total, 6 its step within the epoch + 1 (0: none),
//   7 the epoch's first total.

#define TRAIN_METRICS_THREADS 256

extern "C" __global__ void train_metrics_accumulate(double* __restrict__ sums, long long* __restrict__ codeSums,
                                                    const float* __restrict__ total, const float* __restrict__ recon,
                                                    const float* __restrict__ vqLosses, const float* __restrict__ kl,
                                                    const int* __restrict__ counts, int k, double reconDivisor,
                                                    long long stepInEpoch) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i == 0) {
        double t = (double)total[0];
        // explicit round-to-nearest adds and divide: no contraction can change the host's bits
        sums[0] = __dadd_rn(sums[0], t);
        sums[1] = __dadd_rn(sums[1], __ddiv_rn((double)recon[0], reconDivisor));
        if (vqLosses != nullptr) {
            sums[2] = __dadd_rn(sums[2], (double)vqLosses[0]);
            sums[3] = __dadd_rn(sums[3], (double)vqLosses[1]);
        }
        if (kl != nullptr) sums[4] = __dadd_rn(sums[4], (double)kl[0]);
        if (stepInEpoch == 0) sums[7] = t;
        if (!isfinite(t) && sums[6] == 0.0) {
            sums[5] = t;
            sums[6] = (double)(stepInEpoch + 1);
        }
    }
    if (counts != nullptr) {
        for (int j = i; j < k; j += gridDim.x * blockDim.x) codeSums[j] += (long long)counts[j];
    }
}
