// vq_nearest_common.cuh: device pieces every nearest-code search shares (vq_nearest.cu,
// vq_nearest_tc.cu, vq_nearest_small.cu), so that all of them compute the SAME fp32 score bits
// for the same (vector, code): ||e_k||^2 from one warp reduction, z.e_k as one FMA chain in
// ascending c starting from 0, score = fmaf(-2, dot, norm), ties to the lowest index. That is
// what lets the tensor-core and small-D searches return exactly the FP32 search's indices.
// No kernels here.
#pragma once
#include <math.h>

#define VQN_NONE 0x7fffffff

// ||e_row||^2 by one warp: lane c accumulates fmaf(v, v, acc) over c = lane, lane + 32, ...,
// then a butterfly sum over xor offsets 16..1. The result is the same in every lane. `bad` is
// set in every lane when the row holds NaN or Inf. Every lane of the warp must call it.
static __device__ __forceinline__ float vq_nearest_row_norm_warp(const float* __restrict__ er, int d, int lane,
                                                                 bool* bad) {
    float acc = 0.f;
    bool b = false;
    for (int c = lane; c < d; c += 32) {
        const float v = er[c];
        b |= !isfinite(v);
        acc = fmaf(v, v, acc);
    }
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, off);
    *bad = __any_sync(0xffffffffu, b);
    return acc;
}

// Lexicographic (score, index) order of the searches: a NaN score never wins.
static __device__ __forceinline__ bool vq_nearest_better(float v, int i, float bv, int bi) {
    return v < bv || (v == bv && i < bi);
}

// Butterfly over xor offsets first, first/2, ..., 1 (first = 16: the whole warp; 8: each half
// warp): every lane ends with the lexicographic (score, index) minimum of its group. The result
// is independent of the lanes' order, so it is the same on every run.
static __device__ __forceinline__ void vq_nearest_butterfly_min(float& v, int& i, int first) {
#pragma unroll
    for (int off = first; off > 0; off >>= 1) {
        const float ov = __shfl_xor_sync(0xffffffffu, v, off);
        const int oi = __shfl_xor_sync(0xffffffffu, i, off);
        if (vq_nearest_better(ov, oi, v, i)) { v = ov; i = oi; }
    }
}

// Offset of element (vector nn, component 0) in z for either layout; component c adds c*spatial.
static __device__ __forceinline__ long long vq_nearest_zbase(long long nn, int spatial, int d) {
    const long long b = nn / spatial;
    return b * d * (long long)spatial + (nn - b * spatial);
}
