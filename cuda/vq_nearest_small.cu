// vq_nearest_small.cu: nearest codebook row for small D (D <= 8), one kernel, version 1.
//
// At D = 4 the search is K*D = 2048 FMAs per vector: the tiled kernel's 16-dim tiles, code
// splits and a separate finalize (3 launches, partials in global memory) cost more than the math.
// Here one thread owns one vector for the whole search:
//
// vq_nearest_small: block = 128 threads. Prologue: the codebook [K][D] is copied into shared
// memory and each warp computes the norms of rows w, w + 4, ... with vq_nearest_row_norm_warp
// (the very reduction of vq_nearest_codebook_norms, so the same bits), flagging non-finite rows
// in status[0]. Then each thread loads its vector into registers (flagging NaN/Inf in status[1]),
// and loops over all K codes: dot = fmaf chain over ascending c from 0, score = fmaf(-2, dot,
// norm), strict '<' over ascending k (ties to the lowest index). These are the score bits of
// vq_nearest.cu, so the index is the FP32 search's, bit for bit, and its certified bound holds.
// All lanes of a warp read the same code at the same time: shared-memory broadcasts. The
// distance (direct form, vq_nearest_finalize's operations and order) and zq (the winning row, in
// z's layout: a float4 per thread for rows at D = 4, coalesced along vectors for channel-first)
// are written by the same thread.
//
// Napkin (N = 65536, D = 4, K = 512): 2*N*K*D = 268 MFLOP; per (vector, code) ~9 instructions
// (1-2 LDS, D FMAs, one score FMA, compare, 2 selects): 3e8 warp-lane instructions over
// 132 SMs x 128 lanes/clk ~ 18k clocks ~ 10 us; memory: z and zq 1 MB each (~1 us), the codebook
// 8 KB per block from L2. One launch, no scratch. Shared memory K*(D+1)*4 bytes: the host takes
// this path only when that is at most 48 KB (K <= 2457 at D = 4).

#include <math.h>
#include <stdint.h>
#include "vq_nearest_common.cuh"

#define VQS_THREADS 128
#define VQS_MAX_D 8

template <int D>
static __device__ __forceinline__ void vq_small_search(const float* __restrict__ z, const float* __restrict__ e,
                                                       const float* es, const float* en,
                                                       int* __restrict__ indices, float* __restrict__ distances,
                                                       float* __restrict__ zq, int* __restrict__ status,
                                                       long long nn, int spatial, int k) {
    const long long zb = vq_nearest_zbase(nn, spatial, D);
    float zv[D];
    bool bad = false;
#pragma unroll
    for (int c = 0; c < D; ++c) {
        zv[c] = z[zb + (long long)c * spatial];
        bad |= !isfinite(zv[c]);
    }
    if (bad) atomicMin(&status[1], (int)nn);

    float best = INFINITY;
    int bi = VQN_NONE;
#pragma unroll 4
    for (int kc = 0; kc < k; ++kc) {
        const float* er = es + kc * D;
        float dot = 0.f;
#pragma unroll
        for (int c = 0; c < D; ++c) dot = fmaf(zv[c], er[c], dot);
        const float s = fmaf(-2.f, dot, en[kc]);
        if (s < best) { best = s; bi = kc; }
    }
    const int id = bi == VQN_NONE ? 0 : bi;  // nothing comparable (non-finite data): stay in bounds
    indices[nn] = id;
    const float* ek = es + id * D;
    if (distances != nullptr) {
        float a = 0.f;
#pragma unroll
        for (int c = 0; c < D; ++c) {
            const float df = __fsub_rn(zv[c], ek[c]);
            a = __fadd_rn(a, __fmul_rn(df, df));
        }
        distances[nn] = a;
    }
    if (zq != nullptr) {
        if (D == 4 && spatial == 1) {  // rows: one 16-byte store (zq rows are 16-byte aligned at D = 4)
            *reinterpret_cast<float4*>(zq + nn * 4) = make_float4(ek[0], ek[1], ek[2], ek[3]);
        } else {
#pragma unroll
            for (int c = 0; c < D; ++c) zq[zb + (long long)c * spatial] = ek[c];
        }
    }
}

// Grid: ceil(N / 128) blocks of 128. Dynamic shared memory: es [K][D] | en [K] floats.
extern "C" __global__ void __launch_bounds__(VQS_THREADS)
vq_nearest_small(const float* __restrict__ z, const float* __restrict__ e, int* __restrict__ indices,
                 float* __restrict__ distances, float* __restrict__ zq, int* __restrict__ status,
                 int n, int spatial, int d, int k) {
    extern __shared__ __align__(16) float vqs_smem[];
    float* es = vqs_smem;
    float* en = es + k * d;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    for (int i = tid; i < k * d; i += VQS_THREADS) es[i] = e[i];
    for (int row = warp; row < k; row += VQS_THREADS / 32) {  // warp-uniform loop
        bool bad;
        const float nr = vq_nearest_row_norm_warp(e + (long long)row * d, d, lane, &bad);
        if (lane == 0) {
            en[row] = nr;
            if (bad && blockIdx.x == 0) atomicMin(&status[0], row);
        }
    }
    __syncthreads();
    const long long nn = (long long)blockIdx.x * VQS_THREADS + tid;
    if (nn >= n) return;
    switch (d) {
        case 1: vq_small_search<1>(z, e, es, en, indices, distances, zq, status, nn, spatial, k); break;
        case 2: vq_small_search<2>(z, e, es, en, indices, distances, zq, status, nn, spatial, k); break;
        case 3: vq_small_search<3>(z, e, es, en, indices, distances, zq, status, nn, spatial, k); break;
        case 4: vq_small_search<4>(z, e, es, en, indices, distances, zq, status, nn, spatial, k); break;
        case 5: vq_small_search<5>(z, e, es, en, indices, distances, zq, status, nn, spatial, k); break;
        case 6: vq_small_search<6>(z, e, es, en, indices, distances, zq, status, nn, spatial, k); break;
        case 7: vq_small_search<7>(z, e, es, en, indices, distances, zq, status, nn, spatial, k); break;
        case 8: vq_small_search<8>(z, e, es, en, indices, distances, zq, status, nn, spatial, k); break;
        default: break;  // the host never launches other D
    }
}
