// vq_nearest_small.cu: nearest codebook row for small D (D <= 8), one kernel.
//
// At D = 4 the search is K*D = 2048 FMAs per vector: the tiled kernel's 16-dim tiles, code
// splits and a separate finalize (3 launches, partials in global memory) cost more than the math.
//
// Version 3 (this one): four threads own two vectors, each scanning every fourth code for both,
// so each code read from shared memory serves two vectors (9 instead of 10 instructions per
// vector and code) and a block covers 128 vectors: at N = 65536, 512 blocks, one wave.
// Version 2 (four threads per vector, 64 vectors a block) took 25 us at N = 65536: 1024 blocks at
// 6 a SM were 1.3 waves. Version 1 gave each thread a whole vector: at N = 65536 that is 2048 warps, 15 per SM, and
// Nsight Compute measured 23% achieved occupancy, 0.57 instructions issued per scheduler cycle
// and 69 us per call, with a per-block prologue (norms by warp reductions) that grows with K.
//
// vq_nearest_small: block = 256 threads = 64 thread groups x VQS_SPLIT (4) slices, each group
// owning VQS_PER_GROUP (2) vectors: vectors g and g + 64 of the block's 128. Prologue: the
// codebook [K][D] is copied into shared memory and one thread per row computes its norm with
// exactly the operations and order of vq_nearest_row_norm_warp at D <= 8 (lane c holds
// fmaf(v_c, v_c, 0), the butterfly over xor 16..1 adds zeros until xor 4, then
// ((a0+a4)+(a2+a6)) + ((a1+a5)+(a3+a7))), so the same bits as vq_nearest_codebook_norms,
// flagging non-finite rows in status[0]. Each thread loads its vector into registers (slice 0
// flags NaN/Inf in status[1]) and scans codes slice, slice + 4, ...: dot = fmaf chain over
// ascending c from 0, score = fmaf(-2, dot, norm), strict '<' over ascending k. Two xor shuffles
// then merge the four (score, index) pairs, the lower index winning a tie, which is the strict
// '<' over all K in ascending order. These are the score bits of vq_nearest.cu, so the index is
// the FP32 search's, bit for bit, and its certified bound holds. In one step of the scan, the
// four slices of a warp read four consecutive codes: shared-memory broadcasts, no conflicts.
// Slice 0 writes the index, the distance (direct form, vq_nearest_finalize's operations and
// order) and zq (the winning row, in z's layout: a float4 for rows at D = 4).
//
// Napkin (N = 65536, D = 4, K = 512): 2*N*K*D = 268 MFLOP; per (vector, code) ~9 instructions
// (LDS, D FMAs, one score FMA, compare, 2 selects): 3e8 lane instructions = 9.4e6 warp
// instructions over 528 schedulers ~ 18k issue cycles ~ 10 us at 1.75 GHz, with 8192 warps
// (62 per SM) to hide the shared-memory latency; memory: z and zq 1 MB each (~1 us), the codebook
// 8 KB per block from L2. One launch, no scratch. Shared memory K*(D+1)*4 bytes: the host takes
// this path only when that is at most 48 KB (K <= 2457 at D = 4).

#include <math.h>
#include <stdint.h>
#include "vq_nearest_common.cuh"

#define VQS_THREADS 256
#define VQS_SPLIT 4
#define VQS_PER_GROUP 2
#define VQS_GROUPS (VQS_THREADS / VQS_SPLIT)
#define VQS_VECTORS (VQS_GROUPS * VQS_PER_GROUP)
#define VQS_MAX_D 8

template <int D>
static __device__ __forceinline__ void vq_small_search(const float* __restrict__ z, const float* __restrict__ e,
                                                       const float* es, const float* en,
                                                       int* __restrict__ indices, float* __restrict__ distances,
                                                       float* __restrict__ zq, int* __restrict__ status,
                                                       const long long* nn, const bool* active, int slice,
                                                       int spatial, int k) {
    float zv[VQS_PER_GROUP][D];
    long long zb[VQS_PER_GROUP];
    float best[VQS_PER_GROUP];
    int bi[VQS_PER_GROUP];
#pragma unroll
    for (int v = 0; v < VQS_PER_GROUP; ++v) {
        best[v] = INFINITY;
        bi[v] = VQN_NONE;
        zb[v] = 0;
        bool bad = false;
#pragma unroll
        for (int c = 0; c < D; ++c) zv[v][c] = 0.f;
        if (active[v]) {
            zb[v] = vq_nearest_zbase(nn[v], spatial, D);
#pragma unroll
            for (int c = 0; c < D; ++c) {
                zv[v][c] = z[zb[v] + (long long)c * spatial];
                bad |= !isfinite(zv[v][c]);
            }
        }
        if (bad && slice == 0) atomicMin(&status[1], (int)nn[v]);
    }
    // An inactive vector scans zeros and is never written: the loop stays uniform in the group.
#pragma unroll 4
    for (int kc = slice; kc < k; kc += VQS_SPLIT) {
        const float* er = es + kc * D;
        float ev[D];
#pragma unroll
        for (int c = 0; c < D; ++c) ev[c] = er[c];
        const float nk = en[kc];
#pragma unroll
        for (int v = 0; v < VQS_PER_GROUP; ++v) {
            float dot = 0.f;
#pragma unroll
            for (int c = 0; c < D; ++c) dot = fmaf(zv[v][c], ev[c], dot);
            const float s = fmaf(-2.f, dot, nk);
            if (s < best[v]) { best[v] = s; bi[v] = kc; }
        }
    }
#pragma unroll
    for (int v = 0; v < VQS_PER_GROUP; ++v) {
        // Merge the four slices: lower score wins, then the lower index (VQN_NONE, the largest int,
        // with score +inf, loses to every real candidate, whose score is below +inf).
#pragma unroll
        for (int o = 1; o < VQS_SPLIT; o <<= 1) {
            const float os = __shfl_xor_sync(0xffffffffu, best[v], o);
            const int oi = __shfl_xor_sync(0xffffffffu, bi[v], o);
            if (os < best[v] || (os == best[v] && oi < bi[v])) { best[v] = os; bi[v] = oi; }
        }
        if (!active[v] || slice != 0) continue;
        const int id = bi[v] == VQN_NONE ? 0 : bi[v];  // nothing comparable (non-finite data): stay in bounds
        indices[nn[v]] = id;
        const float* ek = es + id * D;
        if (distances != nullptr) {
            float a = 0.f;
#pragma unroll
            for (int c = 0; c < D; ++c) {
                const float df = __fsub_rn(zv[v][c], ek[c]);
                a = __fadd_rn(a, __fmul_rn(df, df));
            }
            distances[nn[v]] = a;
        }
        if (zq != nullptr) {
            if (D == 4 && spatial == 1) {  // rows: one 16-byte store (zq rows are 16-byte aligned at D = 4)
                *reinterpret_cast<float4*>(zq + nn[v] * 4) = make_float4(ek[0], ek[1], ek[2], ek[3]);
            } else {
#pragma unroll
                for (int c = 0; c < D; ++c) zq[zb[v] + (long long)c * spatial] = ek[c];
            }
        }
    }
}

// ||e_row||^2 for d <= 8 by one thread, bit for bit vq_nearest_row_norm_warp's result: there lane
// c < d holds a_c = fmaf(v_c, v_c, 0) and the other lanes 0; the xor-16 and xor-8 steps add zeros
// (exact), and lane 0 ends with ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)), which float
// addition's commutativity makes the same in every lane.
static __device__ __forceinline__ float vq_small_row_norm(const float* __restrict__ er, int d, bool* bad) {
    float a[8];
    bool b = false;
#pragma unroll
    for (int c = 0; c < 8; ++c) {
        const float v = c < d ? er[c] : 0.f;
        b |= !isfinite(v);
        a[c] = fmaf(v, v, 0.f);
    }
    *bad = b;
    return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
}

// Grid: ceil(N / 128) blocks of 256. Dynamic shared memory: es [K][D] | en [K] floats.
extern "C" __global__ void __launch_bounds__(VQS_THREADS)
vq_nearest_small(const float* __restrict__ z, const float* __restrict__ e, int* __restrict__ indices,
                 float* __restrict__ distances, float* __restrict__ zq, int* __restrict__ status,
                 int n, int spatial, int d, int k) {
    extern __shared__ __align__(16) float vqs_smem[];
    float* es = vqs_smem;
    float* en = es + k * d;
    const int tid = threadIdx.x;
    for (int i = tid; i < k * d; i += VQS_THREADS) es[i] = e[i];
    for (int row = tid; row < k; row += VQS_THREADS) {
        bool bad;
        en[row] = vq_small_row_norm(e + (long long)row * d, d, &bad);
        if (bad && blockIdx.x == 0) atomicMin(&status[0], row);
    }
    __syncthreads();
    // No early return: the four slices of a group shuffle together, and so do whole warps.
    const int group = tid / VQS_SPLIT, slice = tid % VQS_SPLIT;
    long long nn[VQS_PER_GROUP];
    bool active[VQS_PER_GROUP];
#pragma unroll
    for (int v = 0; v < VQS_PER_GROUP; ++v) {
        nn[v] = (long long)blockIdx.x * VQS_VECTORS + v * VQS_GROUPS + group;
        active[v] = nn[v] < n;
    }
    switch (d) {
        case 1: vq_small_search<1>(z, e, es, en, indices, distances, zq, status, nn, active, slice, spatial, k); break;
        case 2: vq_small_search<2>(z, e, es, en, indices, distances, zq, status, nn, active, slice, spatial, k); break;
        case 3: vq_small_search<3>(z, e, es, en, indices, distances, zq, status, nn, active, slice, spatial, k); break;
        case 4: vq_small_search<4>(z, e, es, en, indices, distances, zq, status, nn, active, slice, spatial, k); break;
        case 5: vq_small_search<5>(z, e, es, en, indices, distances, zq, status, nn, active, slice, spatial, k); break;
        case 6: vq_small_search<6>(z, e, es, en, indices, distances, zq, status, nn, active, slice, spatial, k); break;
        case 7: vq_small_search<7>(z, e, es, en, indices, distances, zq, status, nn, active, slice, spatial, k); break;
        case 8: vq_small_search<8>(z, e, es, en, indices, distances, zq, status, nn, active, slice, spatial, k); break;
        default: break;  // the host never launches other D
    }
}
