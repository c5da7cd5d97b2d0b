// vq_backward.cu: backward of the VQ layer, loss = recon + codebookLoss + beta * commitmentLoss,
// both losses mean((z - e[idx])^2) over the N*D elements; scale = 2/(N*D):
//   gradZ[n]        = gradOut[n] + beta * scale * (z_n - e[idx_n])          (straight-through)
//   gradCodebook[k] = scale * sum_{n: idx_n = k} (e_k - z_n) = scale * (count_k * e_k - S_k)
// with S_k the SEGMENT SUM of the vectors assigned to code k (no one-hot product). The counting
// and segment-sum kernels are also the first half of the EMA update (vq_codebook.cu).
// z is rows [N, D] or channel-first [B, D, H, W]: element (n, c) at (b*D + c)*S + s, n = b*S + s.
// Indices outside [0, K) are never dereferenced: vq_backward_count reports the first one in the
// scratch block and counts nothing for it; the segment sums skip it and set its gradZ to NaN.
//
// Pipelines (N vectors, D components, K codes; napkin math for N=524288, D=64, K=512, H100):
//   fast:          count -> segsum_f32_{shared,global} -> finish
//   deterministic: count (+ max|z|) -> fixed_scale -> segsum_fixed_{shared,global} -> finish
//
// vq_backward_count: counts[k] += 1 per vector (integer atomics: order-free, exact), privatised in
//   shared memory when K*4 bytes fit; optionally max|z| over all N*D elements (float4 loads, warp
//   max, one atomicMax per warp). Bytes: 4N (+4ND): 2 MB (+134 MB, ~45 us). FLOPs: none.
// vq_backward_fixed_scale: one block; cmax = max_k count_k, then the fixed-point scale
//   2^s = 2^(61 - ceil(log2 cmax) - e), max|z| < 2^e. Every accumulator then obeys
//   |S_k| * 2^s <= cmax * (max|z| * 2^s + 1/2) < 2^61 + cmax < 2^62: no overflow, and even an
//   intermediate wrap would cancel (two's complement addition is exact modulo 2^64).
// vq_backward_segsum_{f32,fixed}_{shared,global}: one pass over z in storage order (coalesced in
//   both layouts): S[k][c] += z(n, c), and when gradZ is given
//   gradZ = gradOut + coefZ * (z - e[k][c]) in double with explicit _rn operations (no FMA
//   contraction), rounded once to float: bitwise what the CPU twin computes.
//   f32:   fp32 atomicAdd (fast; the order of additions, and so the last bits, vary run to run).
//   fixed: atomicAdd of llrint(z * 2^s) on unsigned 64-bit integers: integer addition is
//          associative, so the result is bitwise identical whatever the order. Precision: each
//          term is rounded by at most 2^-(s+1), so |error of S_k| <= count_k * 2^-(s+1)
//          <= cmax^2 * max|z| * 2^-60 = 2^-60 * cmax relative to the largest possible |S_k|
//          (cmax * max|z|): 2^-40 for a million vectors per code, against ~2^-24 * cmax for a
//          sequential fp32 sum. S_k then rounds once to double (2^-53) and the gradient once to
//          float, so the result is within one float ulp of the exact gradient.
//   _shared: a block-private [K, D] accumulator in dynamic shared memory (K*D*4 or *8 bytes;
//          the launcher opts in above 48 KB), flushed with one global atomic per non-zero entry.
//          Turns N*D contended global atomics into shared ones plus blocks*K*D flushes.
//   _global: atomics straight to the [K, D] accumulator in global memory (too large for shared).
//   Bytes: 4ND (z) + 4N (idx) + with gradZ 8ND (gradOut, gradZ) + codebook gathers (L2):
//   ~400 MB, ~0.13 ms at 3 TB/s; FLOPs: 3 fp64 per element.
// vq_backward_finish: gradCodebook[k][c] = scale * (count_k * e[k][c] - S[k][c]) in double, once
//   rounded to float (NaN when the fixed-point sums were invalid). Bytes: 12KD (+8KD), tiny.
#include "vq_segsum.cuh"

extern __shared__ __align__(16) unsigned char vq_bwd_smem[];

// ---- counts (+ max|z|) --------------------------------------------------------------------

extern "C" __global__ void __launch_bounds__(512)
vq_backward_count(const int* __restrict__ idx, long long n, int K, int* __restrict__ counts, int privateCounts,
                  const float* __restrict__ z, long long zElems, VqSegsumScratch* __restrict__ scratch) {
    int* local = privateCounts ? reinterpret_cast<int*>(vq_bwd_smem) : counts;
    if (privateCounts) {  // uniform over the block, so the barriers below are safe
        for (int k = threadIdx.x; k < K; k += blockDim.x) local[k] = 0;
        __syncthreads();
    }
    const long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        int k = __ldg(idx + i);
        if ((unsigned)k < (unsigned)K) atomicAdd(local + k, 1);
        else vq_seg_report_bad(scratch, i);
    }
    if (z != nullptr) {
        // |z| as bits: clearing the sign bit orders non-negative floats (and NaN above Inf) as integers
        unsigned int m = 0;
        const long long n4 = zElems >> 2;
        const float4* z4 = reinterpret_cast<const float4*>(z);  // cuMemAlloc is 256-byte aligned
        for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n4; i += stride) {
            float4 v = __ldg(z4 + i);
            m = max(m, max(max(__float_as_uint(v.x) & 0x7FFFFFFFu, __float_as_uint(v.y) & 0x7FFFFFFFu),
                           max(__float_as_uint(v.z) & 0x7FFFFFFFu, __float_as_uint(v.w) & 0x7FFFFFFFu)));
        }
        for (long long i = (n4 << 2) + (long long)blockIdx.x * blockDim.x + threadIdx.x; i < zElems; i += stride) {
            m = max(m, __float_as_uint(__ldg(z + i)) & 0x7FFFFFFFu);
        }
        m = __reduce_max_sync(0xFFFFFFFFu, m);
        if ((threadIdx.x & 31) == 0) atomicMax(&scratch->absMaxBits, m);
    }
    if (privateCounts) {
        __syncthreads();
        for (int k = threadIdx.x; k < K; k += blockDim.x) {
            int v = local[k];
            if (v != 0) atomicAdd(counts + k, v);
        }
    }
}

// ---- the fixed-point scale (deterministic mode) --------------------------------------------

extern "C" __global__ void __launch_bounds__(1024)
vq_backward_fixed_scale(const int* __restrict__ counts, int K, VqSegsumScratch* __restrict__ scratch) {
    __shared__ int warpMax[32];
    int m = 0;
    for (int k = threadIdx.x; k < K; k += blockDim.x) m = max(m, counts[k]);
    m = __reduce_max_sync(0xFFFFFFFFu, m);
    if ((threadIdx.x & 31) == 0) warpMax[threadIdx.x >> 5] = m;
    __syncthreads();
    if (threadIdx.x != 0) return;
    int cmax = 1;  // at least one vector per accumulator, even when every index was bad
    for (int w = 0; w < (int)((blockDim.x + 31) >> 5); ++w) cmax = max(cmax, warpMax[w]);
    unsigned int bits = scratch->absMaxBits;
    if (bits >= 0x7F800000u) {  // Inf or NaN in z: no scale works; finish writes NaN
        scratch->nonFinite = 1;
        scratch->scale = 0.0;
        scratch->invScale = 0.0;
        return;
    }
    int e;
    frexp((double)__uint_as_float(bits), &e);      // max|z| < 2^e (e = 0 for an all-zero z)
    int lg = 32 - __clz(cmax - 1);                 // ceil(log2 cmax)
    int s = 61 - lg - e;                           // in [-98, 209]: 2^s and 2^-s are normal doubles
    scratch->scale = ldexp(1.0, s);
    scratch->invScale = ldexp(1.0, -s);
}

// ---- segment sums (+ gradZ) ----------------------------------------------------------------

static __device__ __forceinline__ void vq_bwd_add(float* acc, float z, double) { atomicAdd(acc, z); }
static __device__ __forceinline__ void vq_bwd_add(unsigned long long* acc, float z, double scale) {
    atomicAdd(acc, vq_seg_fixed(z, scale));
}

// One pass over z; Acc = float (fast) or unsigned long long (fixed point). PRIVATE: accumulate in
// the block's shared memory and flush at the end. gradOut/gradZ/codebook may be null (EMA).
template <typename Acc, bool PRIVATE>
static __device__ __forceinline__ void vq_bwd_segsum(const float* __restrict__ z, const int* __restrict__ idx,
                                                     int S, int D, int K, long long total, Acc* __restrict__ acc,
                                                     const float* __restrict__ codebook,
                                                     const float* __restrict__ gradOut, float* __restrict__ gradZ,
                                                     double coefZ, const VqSegsumScratch* __restrict__ scratch) {
    Acc* sum = PRIVATE ? reinterpret_cast<Acc*>(vq_bwd_smem) : acc;
    const int kd = PRIVATE ? K * D : 0;  // K*D fits in shared memory when PRIVATE
    if (PRIVATE) {
        for (int j = threadIdx.x; j < kd; j += blockDim.x) sum[j] = 0;
        __syncthreads();
    }
    const double scale = sizeof(Acc) == 8 ? scratch->scale : 0.0;
    VqSegCursor cur = vq_seg_cursor(blockIdx.x * blockDim.x + threadIdx.x, gridDim.x * blockDim.x, S, D);
    for (; cur.i < total; vq_seg_advance(cur, S, D)) {
        long long n = cur.b * S + cur.s;
        int k = __ldg(idx + n);
        if ((unsigned)k >= (unsigned)K) {  // reported by vq_backward_count; never dereferenced
            if (gradZ != nullptr) gradZ[cur.i] = __int_as_float(0x7FC00000);
            continue;
        }
        float zv = __ldg(z + cur.i);
        long long at = (long long)k * D + cur.c;
        vq_bwd_add(sum + at, zv, scale);
        if (gradZ != nullptr) {
            double diff = __dsub_rn((double)zv, (double)__ldg(codebook + at));
            gradZ[cur.i] = (float)__dadd_rn((double)__ldg(gradOut + cur.i), __dmul_rn(coefZ, diff));
        }
    }
    if (PRIVATE) {
        __syncthreads();
        for (int j = threadIdx.x; j < kd; j += blockDim.x) {
            Acc v = sum[j];
            if (v != 0) atomicAdd(acc + j, v);
        }
    }
}

#define VQ_BWD_SEGSUM_ARGS                                                                       \
    const float* __restrict__ z, const int* __restrict__ idx, int S, int D, int K, long long total, \
        VQ_BWD_ACC* acc, const float* __restrict__ codebook, const float* __restrict__ gradOut,     \
        float* __restrict__ gradZ, double coefZ, const VqSegsumScratch* __restrict__ scratch
#define VQ_BWD_SEGSUM_PASS z, idx, S, D, K, total, acc, codebook, gradOut, gradZ, coefZ, scratch

#define VQ_BWD_ACC float
extern "C" __global__ void __launch_bounds__(1024) vq_backward_segsum_f32_shared(VQ_BWD_SEGSUM_ARGS) {
    vq_bwd_segsum<float, true>(VQ_BWD_SEGSUM_PASS);
}
extern "C" __global__ void __launch_bounds__(256) vq_backward_segsum_f32_global(VQ_BWD_SEGSUM_ARGS) {
    vq_bwd_segsum<float, false>(VQ_BWD_SEGSUM_PASS);
}
#undef VQ_BWD_ACC
#define VQ_BWD_ACC unsigned long long
extern "C" __global__ void __launch_bounds__(1024) vq_backward_segsum_fixed_shared(VQ_BWD_SEGSUM_ARGS) {
    vq_bwd_segsum<unsigned long long, true>(VQ_BWD_SEGSUM_PASS);
}
extern "C" __global__ void __launch_bounds__(256) vq_backward_segsum_fixed_global(VQ_BWD_SEGSUM_ARGS) {
    vq_bwd_segsum<unsigned long long, false>(VQ_BWD_SEGSUM_PASS);
}
#undef VQ_BWD_ACC
#undef VQ_BWD_SEGSUM_ARGS
#undef VQ_BWD_SEGSUM_PASS

// ---- gradCodebook --------------------------------------------------------------------------

// Exactly one of accF32 / accFixed is non-null.
extern "C" __global__ void __launch_bounds__(256)
vq_backward_finish(float* __restrict__ gradCodebook, const float* __restrict__ codebook,
                   const int* __restrict__ counts, const float* __restrict__ accF32,
                   const unsigned long long* __restrict__ accFixed, const VqSegsumScratch* __restrict__ scratch,
                   int K, int D, double scale) {
    const long long kd = (long long)K * D;
    // [K, D] is z's layout with S = 1, so the cursor yields (k, c) = (b, c) without divisions
    for (VqSegCursor cur = vq_seg_cursor(blockIdx.x * blockDim.x + threadIdx.x, gridDim.x * blockDim.x, 1, D);
         cur.i < kd; vq_seg_advance(cur, 1, D)) {
        long long i = cur.i;
        double s = accFixed != nullptr ? vq_seg_unfixed(accFixed[i], scratch) : (double)accF32[i];
        double ce = __dmul_rn((double)counts[cur.b], (double)codebook[i]);
        gradCodebook[i] = (float)__dmul_rn(scale, __dsub_rn(ce, s));
    }
}
