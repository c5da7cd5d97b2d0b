// gaussian_kl.cu: KL divergence of N(mu, exp(logvar)) to N(0, I), forward (a deterministic fused
// reduction) and backward (elementwise).
//
// Per element t = mu^2 + (expm1(logvar) - logvar) >= 0, which is -(1 + logvar - mu^2 - exp(logvar))
// written so that 1 + logvar - exp(logvar) does not cancel in fp32 when logvar is near 0;
// KL = 1/2 * sum t (a positive scale, so an all-zero KL is +0, not -0). t is fp32 (expm1f within
// 1 ulp, one fma); every sum is fp64.
//
// Forward, two passes. The data are `segments` contiguous segments of segLen elements (one segment
// for SUM and MEAN, the B samples for PER_SAMPLE), each cut into chunksPerSeg chunks of chunkLen
// elements (the last one shorter). The host picks chunkLen from the shape alone, so the summation
// order, and with it every bit of the result, is the same on every run and every GPU.
//   gaussian_kl_partial_f32  one warp per chunk (a grid-stride loop over chunks): lane l sums
//       elements l, l+32, ... (float4 groups 4l, 4l+128, ... when segLen, chunkLen and the pointers
//       allow) in order in fp64, then a fixed shuffle tree. A warp, not a block, per chunk: no
//       shared memory, no __syncthreads, and many small samples (PER_SAMPLE of [B, small]) do not
//       each hold a whole block. Writes partial[c] (fp64); when every segment is one chunk it
//       writes the result out[c] = outScale * sum (fp32) directly and there is no second pass.
//   gaussian_kl_finish_f32   one block per segment sums its chunksPerSeg partials in a fixed order
//       (per thread, then per warp, then across the block's warps) and writes out[s] = outScale * sum.
//   Napkin: reads 8 B/elem, ~20 fp32 ops (expm1f, fma) + 1 cvt + 1 DADD per element: 64M elements
//   = 512 MB, ~160 us on an H100; the cvt (16/clk/SM) costs ~20 us and overlaps. The second pass
//   reads at most ~32K partials (256 KB).
//
//   gaussian_kl_backward_f32  dMu = weight * mu, dLogvar = (weight/2) * expm1(logvar): one thread
//       per float4 group, grid-stride, scalar tail. Reads 8 B, writes 8 B/elem: 64M elements
//       = 1 GB, ~300 us, memory-bound.

#include <stdint.h>

static __device__ __forceinline__ bool gaussian_kl_aligned16(const void* p) {
    return (reinterpret_cast<uintptr_t>(p) & 15u) == 0;
}

static __device__ __forceinline__ float gaussian_kl_term(float mu, float logvar) {
    return fmaf(mu, mu, expm1f(logvar) - logvar);
}

// Sum over the 32 lanes, always in the same tree; lane 0 holds the total.
static __device__ __forceinline__ double gaussian_kl_warp_sum(double v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    return v;
}

// blockDim.x must be a multiple of 32 (the launcher uses 256): each warp's loop trip count is the
// same for all its lanes, so the full-mask shuffles are legal.
extern "C" __global__ void gaussian_kl_partial_f32(double* __restrict__ partial, float* __restrict__ out,
                                                   const float* __restrict__ mu,
                                                   const float* __restrict__ logvar,
                                                   long long segLen, long long chunkLen,
                                                   long long chunksPerSeg, long long chunks, double outScale) {
    const int lane = threadIdx.x & 31;
    const long long warp = ((long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    const long long warps = ((long long)gridDim.x * blockDim.x) >> 5;
    // Chunk starts and lengths are then multiples of 4, so each float4 group is whole and aligned.
    const bool vec = (segLen & 3) == 0 && (chunkLen & 3) == 0
                     && gaussian_kl_aligned16(mu) && gaussian_kl_aligned16(logvar);
    for (long long c = warp; c < chunks; c += warps) {
        const long long seg = c / chunksPerSeg;
        const long long j = c - seg * chunksPerSeg;
        const long long segEnd = (j + 1) * chunkLen < segLen ? (j + 1) * chunkLen : segLen;
        const long long begin = seg * segLen + j * chunkLen;
        const long long end = seg * segLen + segEnd;
        double acc = 0.0;
        if (vec) {
#pragma unroll 4
            for (long long i = begin + 4 * lane; i < end; i += 128) {
                const float4 m = *reinterpret_cast<const float4*>(mu + i);
                const float4 lv = *reinterpret_cast<const float4*>(logvar + i);
                acc += (double)gaussian_kl_term(m.x, lv.x);
                acc += (double)gaussian_kl_term(m.y, lv.y);
                acc += (double)gaussian_kl_term(m.z, lv.z);
                acc += (double)gaussian_kl_term(m.w, lv.w);
            }
        } else {
#pragma unroll 4
            for (long long i = begin + lane; i < end; i += 32) {
                acc += (double)gaussian_kl_term(mu[i], logvar[i]);
            }
        }
        acc = gaussian_kl_warp_sum(acc);
        if (lane == 0) {
            if (partial != nullptr) partial[c] = acc;
            else out[c] = (float)(acc * outScale);
        }
    }
}

// One block of GAUSSIAN_KL_FINISH_THREADS per segment (grid-stride over segments). Thread t sums
// partials t, t + 256, ... in order (unrolled so the loads overlap: a single warp reading 16K
// partials one dependent load at a time took ~60 us, a quarter of the whole 64M-element KL),
// then each warp's fixed shuffle tree, then warp 0 adds the 8 warp sums in order. The order
// depends only on the block size, which the launcher fixes: the same bits on every run.
#define GAUSSIAN_KL_FINISH_THREADS 256
extern "C" __global__ void __launch_bounds__(GAUSSIAN_KL_FINISH_THREADS)
gaussian_kl_finish_f32(float* __restrict__ out, const double* __restrict__ partial,
                       long long chunksPerSeg, long long segments, double outScale) {
    __shared__ double warpSums[GAUSSIAN_KL_FINISH_THREADS / 32];
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    for (long long s = blockIdx.x; s < segments; s += gridDim.x) {
        const double* p = partial + s * chunksPerSeg;
        double acc = 0.0;
#pragma unroll 8
        for (long long j = tid; j < chunksPerSeg; j += GAUSSIAN_KL_FINISH_THREADS) acc += p[j];
        acc = gaussian_kl_warp_sum(acc);
        if (lane == 0) warpSums[warp] = acc;
        __syncthreads();
        if (tid == 0) {
            double total = 0.0;
#pragma unroll
            for (int w = 0; w < GAUSSIAN_KL_FINISH_THREADS / 32; ++w) total += warpSums[w];
            out[s] = (float)(total * outScale);
        }
        __syncthreads();  // warpSums is reused by the next segment
    }
}

extern "C" __global__ void gaussian_kl_backward_f32(float* __restrict__ dMu, float* __restrict__ dLogvar,
                                                    const float* __restrict__ mu,
                                                    const float* __restrict__ logvar, long long n, float weight) {
    const float half = 0.5f * weight;
    const long long groups = (n + 3) >> 2;
    const long long stride = (long long)gridDim.x * blockDim.x;
    const bool vec = gaussian_kl_aligned16(dMu) && gaussian_kl_aligned16(dLogvar)
                     && gaussian_kl_aligned16(mu) && gaussian_kl_aligned16(logvar);
    for (long long q = (long long)blockIdx.x * blockDim.x + threadIdx.x; q < groups; q += stride) {
        const long long i = q << 2;
        if (vec && i + 4 <= n) {
            const float4 m = *reinterpret_cast<const float4*>(mu + i);
            const float4 lv = *reinterpret_cast<const float4*>(logvar + i);
            *reinterpret_cast<float4*>(dMu + i) = make_float4(weight * m.x, weight * m.y, weight * m.z, weight * m.w);
            *reinterpret_cast<float4*>(dLogvar + i) = make_float4(half * expm1f(lv.x), half * expm1f(lv.y),
                                                                  half * expm1f(lv.z), half * expm1f(lv.w));
        } else {
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                if (i + j < n) {
                    dMu[i + j] = weight * mu[i + j];
                    dLogvar[i + j] = half * expm1f(logvar[i + j]);
                }
            }
        }
    }
}
