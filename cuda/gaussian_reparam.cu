// gaussian_reparam.cu: standard normal noise and the reparameterization trick of a VAE,
// z = mu + exp(logvar / 2) * eps, with eps drawn from Philox (philox.cuh) inside the kernel.
//
// Shared shape of every kernel here: one thread per Philox block q, i.e. elements 4q .. 4q+3,
// which is exactly one float4; a 64-bit grid-stride loop over q (n may exceed 2^31, the grid is
// capped at a few waves by the launcher). eps lives in registers only: it is written to memory
// only when the caller asks for it (storeEps), and the backward regenerates it from
// (seed, offset) instead of reading it, unless given a stored eps.
// Vector path: 16-byte loads/stores when every pointer is 16-byte aligned (vq4j's buffers always
// are: cuMemAllocAsync returns >= 256-byte alignment); the last group of a size that is not a
// multiple of 4, and every group when some pointer is misaligned, go element by element.
// Out-of-range elements are never read or written.
//
// Kernels (n elements; napkin math for n = 64M on an H100, ~3.35 TB/s HBM3, ~30 T int/fp32 op/s):
//   gaussian_normal_f32            out = eps.
//       writes 4 B/elem (256 MB, ~80 us). Philox: 10 rounds x ~8 int ops + 2 logf + 2 sincospif +
//       2 sqrtf ~ 150 ops per 4 elements -> 2.4 G ops, ~80 us: generation and writing are balanced.
//   gaussian_reparam_forward_f32   z = fma(exp(logvar/2), eps, mu); also eps when epsOut != NULL.
//       reads 8 B, writes 4 (8) B/elem: 768 MB (1 GB), ~230 (300) us, memory-bound.
//   gaussian_reparam_backward_f32  dMu = gradZ, dLogvar = gradZ * eps * exp(logvar/2) / 2, eps
//       regenerated (eps == NULL) or read. Reads 8 (12) B, writes 8 B/elem: 1 GB (1.25 GB),
//       ~300 (375) us. Writing dMu here costs 4 B/elem; a separate copy would read gradZ again.
#include "philox.cuh"

static __device__ __forceinline__ bool gaussian_aligned16(const void* p) {
    return (reinterpret_cast<uintptr_t>(p) & 15u) == 0;
}

// One sample: fma gives mu + std * eps with a single rounding after expf's (<= 2 ulp).
static __device__ __forceinline__ float gaussian_sample(float mu, float logvar, float eps) {
    return fmaf(expf(0.5f * logvar), eps, mu);
}

// dL/dlogvar of one sample: dz/dlogvar = eps * exp(logvar/2) / 2 (the 1/2 is exact).
static __device__ __forceinline__ float gaussian_dlogvar(float gradZ, float logvar, float eps) {
    return gradZ * eps * (0.5f * expf(0.5f * logvar));
}

extern "C" __global__ void gaussian_normal_f32(float* __restrict__ out, long long n,
                                               unsigned long long seed, unsigned long long offset) {
    const long long groups = (n + 3) >> 2;
    const long long stride = (long long)gridDim.x * blockDim.x;
    const bool vec = gaussian_aligned16(out);
    for (long long q = (long long)blockIdx.x * blockDim.x + threadIdx.x; q < groups; q += stride) {
        const float4 e = philox_normal4(seed, offset, (unsigned long long)q);
        const long long i = q << 2;
        if (vec && i + 4 <= n) {
            *reinterpret_cast<float4*>(out + i) = e;
        } else {
            const float v[4] = {e.x, e.y, e.z, e.w};
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                if (i + j < n) out[i + j] = v[j];
            }
        }
    }
}

extern "C" __global__ void gaussian_reparam_forward_f32(float* __restrict__ z, float* __restrict__ epsOut,
                                                        const float* __restrict__ mu,
                                                        const float* __restrict__ logvar, long long n,
                                                        unsigned long long seed, unsigned long long offset) {
    const long long groups = (n + 3) >> 2;
    const long long stride = (long long)gridDim.x * blockDim.x;
    const bool vec = gaussian_aligned16(z) && gaussian_aligned16(mu) && gaussian_aligned16(logvar)
                     && (epsOut == nullptr || gaussian_aligned16(epsOut));
    for (long long q = (long long)blockIdx.x * blockDim.x + threadIdx.x; q < groups; q += stride) {
        const float4 e = philox_normal4(seed, offset, (unsigned long long)q);
        const long long i = q << 2;
        if (vec && i + 4 <= n) {
            const float4 m = *reinterpret_cast<const float4*>(mu + i);
            const float4 lv = *reinterpret_cast<const float4*>(logvar + i);
            *reinterpret_cast<float4*>(z + i) = make_float4(
                gaussian_sample(m.x, lv.x, e.x), gaussian_sample(m.y, lv.y, e.y),
                gaussian_sample(m.z, lv.z, e.z), gaussian_sample(m.w, lv.w, e.w));
            if (epsOut != nullptr) *reinterpret_cast<float4*>(epsOut + i) = e;
        } else {
            const float v[4] = {e.x, e.y, e.z, e.w};
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                if (i + j < n) {
                    z[i + j] = gaussian_sample(mu[i + j], logvar[i + j], v[j]);
                    if (epsOut != nullptr) epsOut[i + j] = v[j];
                }
            }
        }
    }
}

extern "C" __global__ void gaussian_reparam_backward_f32(float* __restrict__ dMu, float* __restrict__ dLogvar,
                                                         const float* __restrict__ gradZ,
                                                         const float* __restrict__ logvar,
                                                         const float* __restrict__ eps, long long n,
                                                         unsigned long long seed, unsigned long long offset) {
    const long long groups = (n + 3) >> 2;
    const long long stride = (long long)gridDim.x * blockDim.x;
    const bool vec = gaussian_aligned16(dMu) && gaussian_aligned16(dLogvar) && gaussian_aligned16(gradZ)
                     && gaussian_aligned16(logvar) && (eps == nullptr || gaussian_aligned16(eps));
    for (long long q = (long long)blockIdx.x * blockDim.x + threadIdx.x; q < groups; q += stride) {
        const long long i = q << 2;
        if (vec && i + 4 <= n) {
            const float4 e = eps != nullptr ? *reinterpret_cast<const float4*>(eps + i)
                                            : philox_normal4(seed, offset, (unsigned long long)q);
            const float4 g = *reinterpret_cast<const float4*>(gradZ + i);
            const float4 lv = *reinterpret_cast<const float4*>(logvar + i);
            *reinterpret_cast<float4*>(dMu + i) = g;
            *reinterpret_cast<float4*>(dLogvar + i) = make_float4(
                gaussian_dlogvar(g.x, lv.x, e.x), gaussian_dlogvar(g.y, lv.y, e.y),
                gaussian_dlogvar(g.z, lv.z, e.z), gaussian_dlogvar(g.w, lv.w, e.w));
        } else {
            // Regenerate the whole group (cheap) but read a stored eps only inside [0, n).
            const float4 r = eps == nullptr ? philox_normal4(seed, offset, (unsigned long long)q)
                                            : make_float4(0.f, 0.f, 0.f, 0.f);
            const float v[4] = {r.x, r.y, r.z, r.w};
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                if (i + j < n) {
                    const float g = gradZ[i + j];
                    const float e = eps != nullptr ? eps[i + j] : v[j];
                    dMu[i + j] = g;
                    dLogvar[i + j] = gaussian_dlogvar(g, logvar[i + j], e);
                }
            }
        }
    }
}
