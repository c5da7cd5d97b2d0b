// util.cu: small elementwise kernels the ops share.
//
// util_affine_f32: out[i] = alpha * in[i] + beta, grid-stride, 64-bit indices.
//   Used to scale gradients and fill constants (alpha = 0); also the bridge's launch test,
//   since its arguments cover every type the launcher passes (pointers, long, float).
//   Napkin math: 8 bytes per element, memory-bound.
// util_axpby_f32: out[i] = alpha * a[i] + beta * b[i] (summing gradients that reach one tensor
//   by two paths, e.g. a VAE's mu from the reconstruction and from the KL term). 12 bytes/element.
#include <stdint.h>

extern "C" __global__ void util_affine_f32(float* __restrict__ out, const float* __restrict__ in,
                                           long long n, float alpha, float beta) {
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        out[i] = in == nullptr ? beta : fmaf(alpha, in[i], beta);
    }
}

extern "C" __global__ void util_axpby_f32(float* __restrict__ out, const float* __restrict__ a,
                                          const float* __restrict__ b, long long n, float alpha, float beta) {
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        out[i] = fmaf(alpha, a[i], __fmul_rn(beta, b[i]));
    }
}
