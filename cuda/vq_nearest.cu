// vq_nearest.cu: nearest codebook row per z vector (fused distance + argmin), version 1.
//
// The problem is a GEMM (z [N, D] times codebook^T [D, K]) with an argmin epilogue: for each
// vector n we want argmin_k ||z_n - e_k||^2 = argmin_k (||e_k||^2 - 2 z_n.e_k), ties to the
// lowest k. ||z_n||^2 is the same for every k, so the search never needs it. The N x K matrix
// is never written: each block keeps a running (best score, index) per vector in registers.
//
// z is read in place in either layout: element (n, c) at (b*D + c)*S + s with n = b*S + s
// (rows [N, D] are S = 1, channel-first [B, D, H, W] are S = H*W).
//
// Kernels (launched in this order by io.vq4j.cuda.kernels.NearestKernels):
//
// 1. vq_nearest_codebook_norms: one warp per code row: ||e_k||^2 in fp32, and a non-finite row
//    is recorded in status[0] by atomicMin (the lowest offending row wins).
//    Napkin: reads K*D*4 bytes once, 2*K*D FLOPs; negligible next to kernel 2.
//
// 2. vq_nearest_argmin: block = 256 threads owning a tile of 128 z vectors; blockIdx.y is a
//    "code split" (a contiguous range of 64-code tiles), so small N still fills the GPU.
//    For every (64-code tile, 16-dim tile) step, the z tile [16][128] and the code tile [16][64]
//    are staged in shared memory (the next step's global loads are issued into registers before
//    the current step's FMAs, so their latency hides behind the math); each thread computes an
//    8 vectors x 4 codes register micro-tile of dot products in fp32 (FMA, ascending d).
//    After the last dim tile of a code tile: score = ||e||^2 - 2 z.e, running best per vector
//    with strict '<' (ascending codes within a thread keep the lowest index). At the end the
//    16 threads sharing the same 8 vectors (one half warp) butterfly-reduce (score, index)
//    lexicographically, and the split's winner per vector goes to part_val / part_idx.
//    z values are checked for NaN/Inf while split 0 loads its first code tile; offenders are
//    recorded in status[1] by atomicMin.
//    Napkin per block and step: 2 * 128*64*16 = 262k FLOPs from 12 KB of shared memory;
//    per thread and dim: 3 LDS.128 (8 z + 4 e floats) for 32 FMA, so it is FMA bound.
//    Total 2*N*K*D FLOPs (N = 10^5, K = 16384, D = 256: 0.84 TFLOP, ~20-30 ms on an H100 at
//    ~30-40 TFLOP/s fp32). Global traffic: z is re-read once per code tile and the codebook
//    once per 128-vector tile, both served mostly by L2: N*D*4*K/64 + (N/128)*K*D*4 bytes.
//    Dims past D are never multiplied (the inner loop stops at min(16, D - d0)), so D = 1, 3, 4
//    cost D FMAs per pair, not 16; codes past K and vectors past N are zero-filled and ignored.
//
// 3. vq_nearest_finalize: one thread per vector: the lexicographic minimum over the splits
//    (fixed order), the index, if asked the chosen row copied to zq (z's layout; the fused
//    nearestQuantize), and, if asked, the reported distance recomputed exactly as
//    sum_c (z_c - e_c)^2 in fp32 in ascending c without FMA contraction (__fmul_rn/__fadd_rn),
//    the same operations in the same order as the CPU twin, so both report the same bits for the
//    same code. Napkin: reads N*D*4 (z) + N*D*4 (the chosen rows, from L2) bytes, 3*N*D FLOPs.
//
// The result does not depend on the number of splits: every (n, k) score is computed by the
// same FMA chain whichever block or split computes it, and the lexicographic (score, index)
// minimum is order-independent. So the answer is the same on every GPU and run.
//
// ROUNDING BOUND (why the expanded form may disagree with an exact reference on near-ties).
// With u = 2^-24 and gamma_D = D*u/(1 - D*u): the FMA dot product has
// |fl(z.e) - z.e| <= gamma_D * sum_c |z_c e_c| <= gamma_D * (||z||^2 + ||e||^2) / 2; the fp32 norm
// has |fl(||e||^2) - ||e||^2| <= gamma_D ||e||^2; the final fmaf(-2, dot, norm) adds one rounding,
// u * |score| <= u * (||z||^2 + 2||e||^2) (1 + O(gamma_D)). Summing:
//     |err(score_k)| <= gamma * (||z||^2 + ||e_k||^2),   gamma = 2 * (D + 2) * 2^-24
// (covers 2*gamma_D + 2u with room for the second-order terms). So when this kernel picks g and
// the exact argmin is r, d(g) - d(r) <= gamma * (2||z||^2 + ||e_g||^2 + ||e_r||^2): a different
// choice is only possible between codes whose true distances are that close. Tests accept a
// mismatch only within this bound (and count it as a near-tie).
//
// Non-finite data: a NaN score never passes '<', so such codes are never chosen; if nothing was
// ever chosen (every score NaN) the finalize kernel writes index 0, which keeps the distance
// recompute in bounds. The host reads status only with data checks on and then throws.

#include <math.h>
#include <stdint.h>
#include "vq_nearest_common.cuh"

#define VQN_BM 128       // z vectors per block
#define VQN_BN 64        // codes per code tile
#define VQN_BK 16        // dims per step
#define VQN_TM 8         // vectors per thread
#define VQN_TN 4         // codes per thread
#define VQN_THREADS 256  // (VQN_BM / VQN_TM) * (VQN_BN / VQN_TN)
#define VQN_PAD 4        // keeps rows 16-byte aligned for float4 reads

static_assert((VQN_BM / VQN_TM) * (VQN_BN / VQN_TN) == VQN_THREADS, "thread tile must cover the block tile");
static_assert(VQN_BM * VQN_BK == VQN_THREADS * 8, "the z loader moves 8 floats per thread");
static_assert(VQN_BN * VQN_BK == VQN_THREADS * 4, "the code loader moves 4 floats per thread");

// ---- 1. codebook norms ------------------------------------------------------------------

extern "C" __global__ void __launch_bounds__(256)
vq_nearest_codebook_norms(const float* __restrict__ e, float* __restrict__ norms, int* __restrict__ status,
                          int k, int d) {
    const int lane = threadIdx.x & 31;
    const long long row = (long long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (row >= k) return;  // whole warps leave together: row is warp-uniform
    bool bad;
    const float acc = vq_nearest_row_norm_warp(e + row * d, d, lane, &bad);
    if (bad && lane == 0) atomicMin(&status[0], (int)row);
    if (lane == 0) norms[row] = acc;
}

// ---- 2. tiled dot products + running argmin ---------------------------------------------

// Global -> registers for one step. The z mapping follows the contiguous direction of memory so
// a warp's loads coalesce: rows (S = 1) are contiguous along c, so 16 consecutive threads take
// 16 consecutive dims of one vector; channel-first is contiguous along s (= along vectors), so
// 32 consecutive threads take 32 consecutive vectors of one dim.
static __device__ __forceinline__ void vq_nearest_load_z(float (&zr)[8], const float* __restrict__ z,
                                                         int* __restrict__ status, bool check,
                                                         bool rows, long long n0, long long zbase,
                                                         int n, int spatial, int d, int d0) {
    const int tid = threadIdx.x;
    if (rows) {
        const int c = d0 + tid % VQN_BK;
#pragma unroll
        for (int r = 0; r < 8; ++r) {
            const long long nn = n0 + tid / VQN_BK + r * (VQN_THREADS / VQN_BK);
            float v = 0.f;
            if (nn < n && c < d) {
                v = z[nn * d + c];
                if (check && !isfinite(v)) atomicMin(&status[1], (int)nn);
            }
            zr[r] = v;
        }
    } else {
        const long long nn = n0 + tid % VQN_BM;
#pragma unroll
        for (int r = 0; r < 8; ++r) {
            const int c = d0 + tid / VQN_BM + r * (VQN_THREADS / VQN_BM);
            float v = 0.f;
            if (nn < n && c < d) {
                v = z[zbase + (long long)c * spatial];
                if (check && !isfinite(v)) atomicMin(&status[1], (int)nn);
            }
            zr[r] = v;
        }
    }
}

static __device__ __forceinline__ void vq_nearest_store_z(float (*zs)[VQN_BM + VQN_PAD], const float (&zr)[8], bool rows) {
    const int tid = threadIdx.x;
    if (rows) {
#pragma unroll
        for (int r = 0; r < 8; ++r) zs[tid % VQN_BK][tid / VQN_BK + r * (VQN_THREADS / VQN_BK)] = zr[r];
    } else {
#pragma unroll
        for (int r = 0; r < 8; ++r) zs[tid / VQN_BM + r * (VQN_THREADS / VQN_BM)][tid % VQN_BM] = zr[r];
    }
}

// The codebook is row-major [K, D], contiguous along c: 16 consecutive threads take 16 dims of a code.
static __device__ __forceinline__ void vq_nearest_load_e(float (&er)[4], const float* __restrict__ e,
                                                         int k, int d, long long k0, int d0) {
    const int tid = threadIdx.x;
    const int c = d0 + tid % VQN_BK;
#pragma unroll
    for (int r = 0; r < 4; ++r) {
        const long long kc = k0 + tid / VQN_BK + r * (VQN_THREADS / VQN_BK);
        er[r] = (kc < k && c < d) ? e[kc * d + c] : 0.f;
    }
}

static __device__ __forceinline__ void vq_nearest_store_e(float (*es)[VQN_BN + VQN_PAD], const float (&er)[4]) {
    const int tid = threadIdx.x;
#pragma unroll
    for (int r = 0; r < 4; ++r) es[tid % VQN_BK][tid / VQN_BK + r * (VQN_THREADS / VQN_BK)] = er[r];
}

// acc[i][j] += sum over the step's dims of z(vector ty*8+i) * e(code tx*4+j), ascending dims.
// Called with steps == VQN_BK (a constant after inlining: fully unrolled) or the tail D - d0.
static __device__ __forceinline__ void vq_nearest_fma_steps(float (&acc)[VQN_TM][VQN_TN],
                                                            const float (*zs)[VQN_BM + VQN_PAD],
                                                            const float (*es)[VQN_BN + VQN_PAD],
                                                            int tx, int ty, int steps) {
#pragma unroll
    for (int kk = 0; kk < steps; ++kk) {
        const float4 a0 = *reinterpret_cast<const float4*>(&zs[kk][ty * VQN_TM]);
        const float4 a1 = *reinterpret_cast<const float4*>(&zs[kk][ty * VQN_TM + 4]);
        const float4 b = *reinterpret_cast<const float4*>(&es[kk][tx * VQN_TN]);
        const float a[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
        const float bb[4] = {b.x, b.y, b.z, b.w};
#pragma unroll
        for (int i = 0; i < VQN_TM; ++i) {
#pragma unroll
            for (int j = 0; j < VQN_TN; ++j) acc[i][j] = fmaf(a[i], bb[j], acc[i][j]);
        }
    }
}

// Grid: (ceil(N / 128), splits). Split y covers code tiles [y*tiles_per_split, min(.., ceil(K/64))),
// never empty (the host sizes splits so). Writes part_val/part_idx[y*N + n] for n < N.
extern "C" __global__ void __launch_bounds__(VQN_THREADS, 2)
vq_nearest_argmin(const float* __restrict__ z, const float* __restrict__ e, const float* __restrict__ norms,
                  float* __restrict__ part_val, int* __restrict__ part_idx, int* __restrict__ status,
                  int n, int spatial, int d, int k, int tiles_per_split) {
    __shared__ __align__(16) float zs[VQN_BK][VQN_BM + VQN_PAD];
    __shared__ __align__(16) float es[VQN_BK][VQN_BN + VQN_PAD];

    const int tid = threadIdx.x;
    const int tx = tid % (VQN_BN / VQN_TN);  // code group: codes tx*4 .. tx*4+3 of the tile
    const int ty = tid / (VQN_BN / VQN_TN);  // vector group: vectors ty*8 .. ty*8+7 of the block
    const long long n0 = (long long)blockIdx.x * VQN_BM;
    const int split = blockIdx.y;
    const int code_tiles = (k - 1) / VQN_BN + 1;  // no overflow near INT_MAX
    const int ct_begin = split * tiles_per_split;
    const int ct_end = min(ct_begin + tiles_per_split, code_tiles);
    const int dim_tiles = (d + VQN_BK - 1) / VQN_BK;
    const bool rows = spatial == 1;

    // Channel-first: this thread always loads vector n0 + tid % 128; its base offset (b*D*S + s)
    // is computed once here, so the step loop has no division.
    long long zbase = 0;
    {
        const long long nn = n0 + tid % VQN_BM;
        if (!rows && nn < n) {
            const long long b = nn / spatial;
            zbase = b * d * (long long)spatial + (nn - b * spatial);
        }
    }

    float best[VQN_TM];
    int best_idx[VQN_TM];
#pragma unroll
    for (int i = 0; i < VQN_TM; ++i) { best[i] = INFINITY; best_idx[i] = VQN_NONE; }

    float acc[VQN_TM][VQN_TN];
    float zr[8], er[4];

    // Steps run over (code tile ct, dim tile dt), dt fastest. Prefetch step 0.
    int ct = ct_begin, dt = 0;
    vq_nearest_load_z(zr, z, status, split == 0, rows, n0, zbase, n, spatial, d, 0);
    vq_nearest_load_e(er, e, k, d, (long long)ct * VQN_BN, 0);

    while (ct < ct_end) {
        __syncthreads();  // every thread is done reading the previous step's tiles
        vq_nearest_store_z(zs, zr, rows);
        vq_nearest_store_e(es, er);
        __syncthreads();

        // Issue the next step's global loads now; they land while the FMAs below run.
        int nct = ct, ndt = dt + 1;
        if (ndt == dim_tiles) { ndt = 0; ++nct; }
        if (nct < ct_end) {
            vq_nearest_load_z(zr, z, status, split == 0 && nct == ct_begin, rows, n0, zbase, n, spatial, d, ndt * VQN_BK);
            vq_nearest_load_e(er, e, k, d, (long long)nct * VQN_BN, ndt * VQN_BK);
        }

        if (dt == 0) {
#pragma unroll
            for (int i = 0; i < VQN_TM; ++i)
#pragma unroll
                for (int j = 0; j < VQN_TN; ++j) acc[i][j] = 0.f;
        }
        const int steps = min(VQN_BK, d - dt * VQN_BK);
        if (steps == VQN_BK) vq_nearest_fma_steps(acc, zs, es, tx, ty, VQN_BK);
        else vq_nearest_fma_steps(acc, zs, es, tx, ty, steps);

        if (dt == dim_tiles - 1) {  // this code tile is complete: fold it into the running best
#pragma unroll
            for (int j = 0; j < VQN_TN; ++j) {
                const long long kc = (long long)ct * VQN_BN + tx * VQN_TN + j;
                if (kc < k) {
                    const float en = norms[kc];
#pragma unroll
                    for (int i = 0; i < VQN_TM; ++i) {
                        const float s = fmaf(-2.f, acc[i][j], en);
                        if (s < best[i]) { best[i] = s; best_idx[i] = (int)kc; }
                    }
                }
            }
        }
        ct = nct;
        dt = ndt;
    }

    // The 16 threads of a vector group are the lanes of one half warp (tid = ty*16 + tx): a
    // butterfly over xor offsets 8..1 gives all of them the lexicographic minimum.
#pragma unroll
    for (int i = 0; i < VQN_TM; ++i) {
        float v = best[i];
        int id = best_idx[i];
        vq_nearest_butterfly_min(v, id, 8);
        best[i] = v;
        best_idx[i] = id;
    }
    // Lane tx == i writes vector i of the group (spreads the stores over 8 lanes).
#pragma unroll
    for (int i = 0; i < VQN_TM; ++i) {
        const long long nn = n0 + ty * VQN_TM + i;
        if (tx == i && nn < n) {
            const long long o = (long long)split * n + nn;
            part_val[o] = best[i];
            part_idx[o] = best_idx[i];
        }
    }
}

// ---- 3. reduce over splits, write index and exact distance ------------------------------

extern "C" __global__ void __launch_bounds__(256)
vq_nearest_finalize(const float* __restrict__ z, const float* __restrict__ e,
                    const float* __restrict__ part_val, const int* __restrict__ part_idx,
                    int* __restrict__ indices, float* __restrict__ distances, float* __restrict__ zq,
                    int n, int spatial, int d, int k, int splits) {
    const long long nn = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (nn >= n) return;
    float v = part_val[nn];
    int id = part_idx[nn];
    for (int sp = 1; sp < splits; ++sp) {
        const float ov = part_val[(long long)sp * n + nn];
        const int oi = part_idx[(long long)sp * n + nn];
        if (ov < v || (ov == v && oi < id)) { v = ov; id = oi; }
    }
    if (id < 0 || id >= k) id = 0;  // no score was ever comparable (non-finite data): stay in bounds
    indices[nn] = id;
    if (distances != nullptr) {
        const long long b = nn / spatial;
        const float* zn = z + b * d * (long long)spatial + (nn - b * spatial);
        const float* ek = e + (long long)id * d;
        float acc = 0.f;
        for (int c = 0; c < d; ++c) {
            const float t = __fsub_rn(zn[(long long)c * spatial], ek[c]);
            acc = __fadd_rn(acc, __fmul_rn(t, t));
        }
        distances[nn] = acc;
    }
    if (zq != nullptr) {  // the fused nearest + gather: zq in z's layout
        const float* ek = e + (long long)id * d;
        float* out = zq + vq_nearest_zbase(nn, spatial, d);
        for (int c = 0; c < d; ++c) out[(long long)c * spatial] = ek[c];
    }
}
