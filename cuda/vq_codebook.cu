// vq_codebook.cu: codebook statistics, the EMA codebook update and dead-code revival.
// (Per-code counts and segment sums come from vq_backward.cu's kernels, shared with the backward.)
//
// vq_codebook_stats: one block of 1024 threads, counts I32 or F32 [K] (one pointer non-null).
//   total = sum c_k, active = #(c_k > 0), dead = #(c_k < threshold), then with p_k = c_k / total
//   perplexity = exp(-sum_{c_k > 0} p_k ln p_k) (0 when total is 0). Sums in double: strided per
//   thread, then a shared-memory tree in a fixed pairing, so the answer is the same every run.
//   out = [perplexity, active, dead, total] as doubles. Bytes: 8K; FLOPs: ~25K (a log per code).
//
// EMA update (reference VQ-VAE EMA: Sonnet's VectorQuantizerEMA, van den Oord et al. 2017,
// "Neural Discrete Representation Learning", appendix A.1), after vq_backward_count and the
// fixed-point segment sums gave n_k (batch count) and s_k (batch sum of the vectors of code k):
//   N_k  = decay * N_k + (1 - decay) * n_k                  clusterSize, in place (unsmoothed)
//   m_k  = decay * m_k + (1 - decay) * s_k                  embedSum, in place
//   n    = sum_k N_k
//   N'_k = (N_k + eps) / (n + K * eps) * n                  Laplace smoothing
//   e_k  = m_k / N'_k                                       codebook, in place
// In double with explicit _rn operations (no FMA contraction) and one rounding to float per
// stored value: the CPU twin's expressions in the CPU twin's order. Nothing leaves the device.
// vq_codebook_ema_accumulate: N_k and m_k. Bytes: 8K + 16KD. FLOPs: 3 fp64 per value.
// vq_codebook_ema_total: one block, n = sum_k N_k in double (fixed tree, as in the stats).
// vq_codebook_ema_normalize: e_k = m_k / N'_k. Bytes: 4K + 8KD. FLOPs: 5 fp64 per value.
// Both writers return at once when the scratch block records a bad index: the state is left as
// it was (the host then throws), as on the CPU.
//
// Dead-code revival: every code k with usage_k < threshold becomes row philox_revive_row(seed, k, N)
// of the batch z (either layout); with EMA state, N_k = 1 and m_k = that row.
// vq_codebook_revive_select: one thread per code: decides and draws the row first, so that the
//   writes of revive_apply can never change a usage value still to be read (usage may BE the
//   EMA clusterSize). work[0] counts the revived codes (host-zeroed), work[1 + k] = row or -1.
// vq_codebook_revive_apply: one thread per codebook element, copies z(row, c). Bytes: <= 12KD.
#include "philox.cuh"
#include "vq_segsum.cuh"

#define VQ_CB_REDUCE_THREADS 1024

// Sum over the block in a fixed pairing (blockDim.x a power of two <= VQ_CB_REDUCE_THREADS);
// every thread gets the result. sh is reusable after it returns.
static __device__ double vq_cb_block_sum(double v, double* sh) {
    sh[threadIdx.x] = v;
    __syncthreads();
    for (int w = blockDim.x >> 1; w > 0; w >>= 1) {
        if (threadIdx.x < w) sh[threadIdx.x] += sh[threadIdx.x + w];
        __syncthreads();
    }
    double r = sh[0];
    __syncthreads();
    return r;
}

static __device__ __forceinline__ double vq_cb_count(const int* countsI, const float* countsF, long long k) {
    return countsI != nullptr ? (double)countsI[k] : (double)countsF[k];
}

// ---- statistics ----------------------------------------------------------------------------

extern "C" __global__ void __launch_bounds__(VQ_CB_REDUCE_THREADS)
vq_codebook_stats(const int* __restrict__ countsI, const float* __restrict__ countsF, int K, double deadThreshold,
                  double* __restrict__ out) {
    __shared__ double sh[VQ_CB_REDUCE_THREADS];
    double total = 0, active = 0, dead = 0;
    for (int k = threadIdx.x; k < K; k += blockDim.x) {
        double c = vq_cb_count(countsI, countsF, k);
        total += c;
        active += c > 0 ? 1.0 : 0.0;
        dead += c < deadThreshold ? 1.0 : 0.0;
    }
    total = vq_cb_block_sum(total, sh);
    active = vq_cb_block_sum(active, sh);
    dead = vq_cb_block_sum(dead, sh);
    double h = 0;
    if (total > 0) {  // uniform: every thread holds the same total
        for (int k = threadIdx.x; k < K; k += blockDim.x) {
            double c = vq_cb_count(countsI, countsF, k);
            if (c > 0) {
                double p = c / total;
                h -= p * log(p);
            }
        }
    }
    h = vq_cb_block_sum(h, sh);
    if (threadIdx.x == 0) {
        out[0] = total > 0 ? exp(h) : 0.0;
        out[1] = active;
        out[2] = dead;
        out[3] = total;
    }
}

// ---- EMA update ----------------------------------------------------------------------------

extern "C" __global__ void __launch_bounds__(256)
vq_codebook_ema_accumulate(float* __restrict__ clusterSize, float* __restrict__ embedSum,
                           const int* __restrict__ counts, const unsigned long long* __restrict__ acc,
                           const VqSegsumScratch* __restrict__ scratch, int K, int D, double decay, double keep) {
    if (scratch->bad != 0) return;
    const long long stride = (long long)gridDim.x * blockDim.x;
    const long long start = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    const long long kd = (long long)K * D;
    for (long long i = start; i < kd; i += stride) {
        double s = vq_seg_unfixed(acc[i], scratch);
        embedSum[i] = (float)__dadd_rn(__dmul_rn(decay, (double)embedSum[i]), __dmul_rn(keep, s));
    }
    for (long long k = start; k < K; k += stride) {
        clusterSize[k] = (float)__dadd_rn(__dmul_rn(decay, (double)clusterSize[k]), __dmul_rn(keep, (double)counts[k]));
    }
}

extern "C" __global__ void __launch_bounds__(VQ_CB_REDUCE_THREADS)
vq_codebook_ema_total(const float* __restrict__ clusterSize, int K, double* __restrict__ total) {
    __shared__ double sh[VQ_CB_REDUCE_THREADS];
    double t = 0;
    for (int k = threadIdx.x; k < K; k += blockDim.x) t += (double)clusterSize[k];
    t = vq_cb_block_sum(t, sh);
    if (threadIdx.x == 0) *total = t;
}

extern "C" __global__ void __launch_bounds__(256)
vq_codebook_ema_normalize(float* __restrict__ codebook, const float* __restrict__ clusterSize,
                          const float* __restrict__ embedSum, const double* __restrict__ total,
                          const VqSegsumScratch* __restrict__ scratch, int K, int D, double eps) {
    if (scratch->bad != 0) return;
    const double n = *total;
    const double denom = __dadd_rn(n, __dmul_rn((double)K, eps));
    const long long kd = (long long)K * D;
    // [K, D] is z's layout with S = 1: the cursor yields (k, c) = (b, c) without divisions
    for (VqSegCursor cur = vq_seg_cursor(blockIdx.x * blockDim.x + threadIdx.x, gridDim.x * blockDim.x, 1, D);
         cur.i < kd; vq_seg_advance(cur, 1, D)) {
        double smoothed = __dmul_rn(__ddiv_rn(__dadd_rn((double)clusterSize[cur.b], eps), denom), n);
        codebook[cur.i] = (float)__ddiv_rn((double)embedSum[cur.i], smoothed);
    }
}

// ---- dead-code revival ---------------------------------------------------------------------

extern "C" __global__ void __launch_bounds__(256)
vq_codebook_revive_select(const int* __restrict__ usageI, const float* __restrict__ usageF, int K, double threshold,
                          unsigned long long seed, long long n, int* __restrict__ work) {
    for (int k = blockIdx.x * blockDim.x + threadIdx.x; k < K; k += gridDim.x * blockDim.x) {
        int row = -1;
        if (vq_cb_count(usageI, usageF, k) < threshold) {
            row = (int)philox_revive_row(seed, k, n);  // < n <= 2^31 - 1
            atomicAdd(work, 1);
        }
        work[1 + k] = row;
    }
}

extern "C" __global__ void __launch_bounds__(256)
vq_codebook_revive_apply(float* __restrict__ codebook, float* __restrict__ clusterSize, float* __restrict__ embedSum,
                         const int* __restrict__ work, const float* __restrict__ z, int S, int D, int K) {
    const long long kd = (long long)K * D;
    for (VqSegCursor cur = vq_seg_cursor(blockIdx.x * blockDim.x + threadIdx.x, gridDim.x * blockDim.x, 1, D);
         cur.i < kd; vq_seg_advance(cur, 1, D)) {
        int row = work[1 + cur.b];
        if (row < 0) continue;
        int b = row / S, s = row - b * S;
        float v = z[((long long)b * D + cur.c) * S + s];
        codebook[cur.i] = v;
        if (embedSum != nullptr) embedSum[cur.i] = v;
        if (clusterSize != nullptr && cur.c == 0) clusterSize[cur.b] = 1.0f;
    }
}
