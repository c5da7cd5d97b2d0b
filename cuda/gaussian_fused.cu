// gaussian_fused.cu: one VAE latent training step in two kernels instead of five
// (reparameterize, klDivergence, reparameterizeBackward, klBackward and an axpby to add the two
// gradient paths). Same formulas and Philox mapping as gaussian_reparam.cu (element i of the draw
// (seed, offset) is component i % 4 of Philox block i / 4) and the same KL terms and deterministic
// chunking as gaussian_kl.cu (the host's KlPlan; the second pass is gaussian_kl_finish_f32).
//
//   gaussian_fused_forward_f32  z = mu + exp(logvar/2) * eps and the KL partial sums of
//       t = mu^2 + expm1(logvar) - logvar in one read of mu and logvar. One warp per KL chunk
//       (grid-stride over chunks). A chunk [begin, end) is split into a head (up to 3 elements
//       before the first 16-byte boundary), a float4 body (lane l takes groups 4l, 4l+128, ...;
//       a group is exactly one Philox block, so eps costs one philox_normal4 per 4 elements) and a
//       tail (up to 3 elements): any n and any PER_SAMPLE segment length keep the vector body.
//       Head and tail elements draw their whole Philox block and keep one component (<= 6 extra
//       blocks per chunk). Misaligned pointers fall back to that element-wise path everywhere.
//       Each lane sums in fp64 in a fixed order, then a fixed shuffle tree: bits are the same on
//       every run. Writes partial[c] (fp64), or out[c] = outScale * sum when each segment is one
//       chunk (then no second pass).
//   gaussian_fused_backward_f32  dMu = gradZ + weight * mu,
//       dLogvar = gradZ * eps * exp(logvar/2) / 2 + weight/2 * expm1(logvar), eps regenerated.
//       One thread per float4 group (one Philox block), grid-stride, scalar tail.
//
// Napkin math, n = 64M on an H100 (~2.98 TB/s achievable copy bandwidth):
//   forward  reads 8 B, writes 4 B/elem = 768 MB; backward reads 12 B, writes 8 B/elem = 1.28 GB.
//   Together 32 B/elem = 2.15 GB = 0.72 ms at 2.98 TB/s (the five-kernel path moves 56 B/elem).
//   Compute per element: Philox ~40 int ops + Box-Muller ~20 + expf/expm1f ~20 flops, forward and
//   backward each ~5 G ops on 64M: ~0.15 ms of ALU per kernel, hidden under the memory time.
//   The KL finish pass reads <= ~32K doubles (256 KB).
#include <stdint.h>
#include "philox.cuh"

static __device__ __forceinline__ bool gaussian_fused_aligned16(const void* p) {
    return (reinterpret_cast<uintptr_t>(p) & 15u) == 0;
}

static __device__ __forceinline__ float gaussian_fused_pick(float4 v, long long i) {
    const int k = (int)(i & 3);
    return k == 0 ? v.x : k == 1 ? v.y : k == 2 ? v.z : v.w;
}

// KL term, as gaussian_kl_term: mu^2 + expm1(logvar) - logvar without cancellation near 0.
static __device__ __forceinline__ float gaussian_fused_term(float mu, float logvar) {
    return fmaf(mu, mu, expm1f(logvar) - logvar);
}

// z of one element, as gaussian_sample.
static __device__ __forceinline__ float gaussian_fused_sample(float mu, float logvar, float eps) {
    return fmaf(expf(0.5f * logvar), eps, mu);
}

// One element on its own: draws its Philox block, writes z[i], returns its KL term.
static __device__ __forceinline__ double gaussian_fused_one(float* __restrict__ z, const float* __restrict__ mu,
                                                            const float* __restrict__ logvar, long long i,
                                                            unsigned long long seed, unsigned long long offset) {
    const float e = gaussian_fused_pick(philox_normal4(seed, offset, (unsigned long long)(i >> 2)), i);
    const float m = mu[i], lv = logvar[i];
    z[i] = gaussian_fused_sample(m, lv, e);
    return (double)gaussian_fused_term(m, lv);
}

static __device__ __forceinline__ double gaussian_fused_warp_sum(double v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    return v;
}

// blockDim.x must be a multiple of 32 (the launcher uses 256): whole warps per chunk, so the
// full-mask shuffles are legal (every lane of a warp runs the same chunk loop trip count).
extern "C" __global__ void gaussian_fused_forward_f32(float* __restrict__ z, double* __restrict__ partial,
                                                      float* __restrict__ out,
                                                      const float* __restrict__ mu,
                                                      const float* __restrict__ logvar,
                                                      long long segLen, long long chunkLen,
                                                      long long chunksPerSeg, long long chunks, double outScale,
                                                      unsigned long long seed, unsigned long long offset) {
    const int lane = threadIdx.x & 31;
    const long long warp = ((long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    const long long warps = ((long long)gridDim.x * blockDim.x) >> 5;
    const bool vec = gaussian_fused_aligned16(z) && gaussian_fused_aligned16(mu) && gaussian_fused_aligned16(logvar);
    for (long long c = warp; c < chunks; c += warps) {
        const long long seg = c / chunksPerSeg;
        const long long j = c - seg * chunksPerSeg;
        const long long segEnd = (j + 1) * chunkLen < segLen ? (j + 1) * chunkLen : segLen;
        const long long begin = seg * segLen + j * chunkLen;
        const long long end = seg * segLen + segEnd;
        double acc = 0.0;
        if (vec) {
            // [begin, a0) head, [a0, a1) float4 body, [a1, end) tail; a0 and a1 are multiples of 4.
            long long a0 = (begin + 3) & ~3LL;
            if (a0 > end) a0 = end;
            const long long a1 = a0 + ((end - a0) & ~3LL);
            if (begin + lane < a0) acc += gaussian_fused_one(z, mu, logvar, begin + lane, seed, offset);
#pragma unroll 2
            for (long long i = a0 + 4 * lane; i < a1; i += 128) {
                const float4 e = philox_normal4(seed, offset, (unsigned long long)(i >> 2));
                const float4 m = *reinterpret_cast<const float4*>(mu + i);
                const float4 lv = *reinterpret_cast<const float4*>(logvar + i);
                *reinterpret_cast<float4*>(z + i) = make_float4(
                    gaussian_fused_sample(m.x, lv.x, e.x), gaussian_fused_sample(m.y, lv.y, e.y),
                    gaussian_fused_sample(m.z, lv.z, e.z), gaussian_fused_sample(m.w, lv.w, e.w));
                acc += (double)gaussian_fused_term(m.x, lv.x);
                acc += (double)gaussian_fused_term(m.y, lv.y);
                acc += (double)gaussian_fused_term(m.z, lv.z);
                acc += (double)gaussian_fused_term(m.w, lv.w);
            }
            if (a1 + lane < end) acc += gaussian_fused_one(z, mu, logvar, a1 + lane, seed, offset);
        } else {
            for (long long i = begin + lane; i < end; i += 32) acc += gaussian_fused_one(z, mu, logvar, i, seed, offset);
        }
        acc = gaussian_fused_warp_sum(acc);
        if (lane == 0) {
            if (partial != nullptr) partial[c] = acc;
            else out[c] = (float)(acc * outScale);
        }
    }
}

extern "C" __global__ void gaussian_fused_backward_f32(float* __restrict__ dMu, float* __restrict__ dLogvar,
                                                       const float* __restrict__ gradZ,
                                                       const float* __restrict__ mu,
                                                       const float* __restrict__ logvar, long long n, float weight,
                                                       unsigned long long seed, unsigned long long offset) {
    const float half = 0.5f * weight;
    const long long groups = (n + 3) >> 2;
    const long long stride = (long long)gridDim.x * blockDim.x;
    const bool vec = gaussian_fused_aligned16(dMu) && gaussian_fused_aligned16(dLogvar)
                     && gaussian_fused_aligned16(gradZ) && gaussian_fused_aligned16(mu)
                     && gaussian_fused_aligned16(logvar);
    for (long long q = (long long)blockIdx.x * blockDim.x + threadIdx.x; q < groups; q += stride) {
        const long long i = q << 2;
        const float4 e = philox_normal4(seed, offset, (unsigned long long)q);
        if (vec && i + 4 <= n) {
            const float4 g = *reinterpret_cast<const float4*>(gradZ + i);
            const float4 m = *reinterpret_cast<const float4*>(mu + i);
            const float4 lv = *reinterpret_cast<const float4*>(logvar + i);
            float4 a, b;
            // dLogvar: the reparameterization path gradZ * eps * (exp(logvar/2) / 2) plus the KL path.
            a.x = fmaf(weight, m.x, g.x); b.x = g.x * e.x * (0.5f * expf(0.5f * lv.x)) + half * expm1f(lv.x);
            a.y = fmaf(weight, m.y, g.y); b.y = g.y * e.y * (0.5f * expf(0.5f * lv.y)) + half * expm1f(lv.y);
            a.z = fmaf(weight, m.z, g.z); b.z = g.z * e.z * (0.5f * expf(0.5f * lv.z)) + half * expm1f(lv.z);
            a.w = fmaf(weight, m.w, g.w); b.w = g.w * e.w * (0.5f * expf(0.5f * lv.w)) + half * expm1f(lv.w);
            *reinterpret_cast<float4*>(dMu + i) = a;
            *reinterpret_cast<float4*>(dLogvar + i) = b;
        } else {
            const float v[4] = {e.x, e.y, e.z, e.w};
#pragma unroll
            for (int k = 0; k < 4; ++k) {
                if (i + k < n) {
                    const float g = gradZ[i + k], lv = logvar[i + k];
                    dMu[i + k] = fmaf(weight, mu[i + k], g);
                    dLogvar[i + k] = g * v[k] * (0.5f * expf(0.5f * lv)) + half * expm1f(lv);
                }
            }
        }
    }
}
