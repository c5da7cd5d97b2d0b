// vq_nearest_tc.cu: nearest codebook row per z vector on the tensor cores (TF32 mma.sync) with
// an exact FP32 re-rank and a certified fallback, version 2.
//
// Same problem as vq_nearest.cu (argmin_k ||e_k||^2 - 2 z_n.e_k, ties to the lowest k, z read
// in place in either layout, never an N x K matrix), same answer: the final index is BITWISE
// the index the FP32 search of vq_nearest.cu returns (proof below), so its certified
// FP32-vs-float64 bound still applies. The norms come from vq_nearest_codebook_norms (same bits).
//
// Versions. v1 kept a sorted top-4 per thread (about 48 instructions a score) and re-ranked
// every vector's 4 candidates with scattered per-thread codebook reads, which ncu found using
// 5 of every 32 bytes the L1 moved (0.93 ms at N = 524288, D = 64, K = 256). v2 (this file):
// (1) vectors whose best TF32 score has no rival within 2B are answered without any re-rank
// (most of them), the rest are re-ranked from a block queue; (2) for D <= 64 each thread keeps
// only its best (s~, k) and its second VALUE (4 instructions a score); (3) ldmatrix fragment
// loads, an unrolled k loop of compile-time length (z padded to 32 or 64 dims); (4) the norm
// rides in the accumulator (the first mma of a tile reads -||e||^2 / 2 as its C input), norms
// prefetched a tile ahead, 32-bit codebook-copy offsets; (5) a fallback that reads the codebook
// coalesced. 0.31 ms at that shape, bit-identical answers (benchmarks/cuda/nearest_tc.cu times
// and checks it stand-alone). Tried and dropped: a persistent grid that loads the next tile's z
// while this one finishes (no gain), 3 blocks a multiprocessor (spills).
//
// Kernels (launched in this order by io.vq4j.cuda.kernels.NearestTcKernels, after the norms):
//
// 1. vq_nearest_tc_search (D <= 64, MT = 2) / vq_nearest_tc_search_wide (D <= 320, MT = 4):
//    block = 256 threads (8 warps) owning 128 z vectors; no code splits (the host takes this
//    path only when N/128 blocks fill the GPU).
//    - The block's z tile [128][Dp] (fp32, D zero-padded to Dp = a multiple of 8) is loaded once
//      into shared memory and stays there; the codebook streams through in chunks of 64 codes x
//      64 dims (so D <= 64 is one chunk, one barrier pair, per code tile), double-buffered with
//      cp.async (16-byte copies when D % 4 == 0, else 4-byte), zero-filled past K and past D.
//    - Warp w computes a 32 vectors x 32 codes tile (vector group w % 4, code half w / 4) with
//      mma.sync.m16n8k8 TF32 (2 x 4 mmas per 8 dims). The operands are the raw fp32 bits: the
//      tensor core reads the top 19 bits (TF32), i.e. each input is truncated, relative error
//      < 2^-10 (the bound below allows for truncation or rounding). Fragments come from
//      ldmatrix.x4 on the 32-bit data (layout at vqt_ldmatrix4's call). Fragment layout (PTX ISA,
//      m16n8k8 .tf32; g = lane / 4, t = lane % 4):
//        A (row-major 16 x 8):  a0 (g, t)  a1 (g+8, t)  a2 (g, t+4)  a3 (g+8, t+4)
//        B (col-major 8 x 8):   b0 (k=t, n=g)  b1 (k=t+4, n=g)
//        C (16 x 8):            c0 (g, 2t)  c1 (g, 2t+1)  c2 (g+8, 2t)  c3 (g+8, 2t+1)
//      so a thread's accumulators hold 4 vectors (g, g+8, g+16, g+24 of the warp's 32) x 8 codes.
//    - The accumulators of a code tile start at -||e_k||^2 / 2 (exact), so they end at
//      a = z.e_k - ||e_k||^2 / 2 and s~ = -2 a exactly (-Inf, so s~ = +Inf, past K).
//    - Epilogue per code tile (a only: no extra arithmetic per score). A thread sees the same
//      codes of a vector on every tile: its PARTITION (8 per vector: 4 quad lanes x 2 code
//      halves). Per (thread, vector) it keeps its partition's MT smallest s~ (vqt_keep).
//    - After the last tile the partitions' lists meet in shared memory; one thread per vector
//      merges them into the M = 4 smallest (v_1 <= ... <= v_4, codes k_1..) and the FLOOR
//      F = min over partitions of their MT-th value, computes ||z||^2 from the tile and the bound
//      B below, and sets thr = v_1 + 2B. CERTIFIED when v_4 > thr and F > thr (or the bound is
//      not finite: see below). Then: certified with only k_1 at or below thr: the answer is k_1,
//      nothing recomputed (the common case); otherwise the candidates at or below thr are
//      queued, and one thread per (queued vector, candidate) re-scores them exactly as
//      vq_nearest.cu scores them (fp32 FMA chain over ascending c from 0, then
//      fmaf(-2, dot, norm)); the lexicographic minimum wins. An uncertified vector's n is also
//      appended to `list` (atomicAdd on list_count) for kernel 2, which overwrites its results.
//      Finally the block writes indices, distances (if asked: vq_nearest_finalize's operations)
//      and zq (if asked) for its 128 vectors, zq coalesced in both layouts.
//    The z tile is copied with cp.async (all copies in flight together) in the same group as the
//    first codebook chunk. z values are checked for NaN/Inf while ||z||^2 is summed; the lowest
//    offender goes to status[1].
//
// 2. vq_nearest_tc_fallback: the listed vectors, exhaustively, in chunks of 16 per block
//    (grid-stride over chunks; the count is read on the device, so the host never waits): the
//    16 vectors sit in shared memory (transposed, so one 16-byte read gives 4 of them), the
//    codebook streams through in tiles of 256 codes x 16 dims read coalesced, and thread t
//    scores code kb + t for all 16 vectors with the same FMA chain (ascending c from 0), then
//    (score, index) minima over the block. Writes index, distance and zq like kernel 1. v1 read
//    each thread's own code row from global memory (32 rows a warp load: L1-bound, ncu 89%
//    busy, 95 us for 9.6k vectors at D = 64, K = 256). Napkin: K*D*16 FMAs and one codebook read
//    (from L2) per chunk; at N = 131072, D = 256, K = 16384, 1.8% listed: 2.3k vectors,
//    9.8 GFMA; at D = 64, K <= 1024, ~2% listed: 10k vectors, under 1 GFMA. 0 listed: ~3 us of
//    empty blocks.
//
// WHY THE ANSWER IS THE FP32 SEARCH'S. Let fl(s_k) be the fp32 score of vq_nearest.cu and s~_k
// this kernel's TF32 score, with |s~_k - fl(s_k)| <= B for every k (bound below). Let c be the
// FP32 search's answer (the lexicographic minimum of fl). Then s~_c <= fl(s_c) + B <= fl(s_k1)
// + B <= s~_k1 + 2B = thr, since k1 has the smallest s~ of all codes. So c is among the codes
// with s~ <= thr. Every code outside the merged list scores s~ >= min(v_4, F): a partition
// drops a code only for MT kept ones at or below it, and the merge drops one only for 4 kept
// ones at or below it. Certified means both exceed thr, so c is one of the listed codes at or
// below thr. If that is k1 alone, c = k1; otherwise the re-rank scores exactly those codes with
// the FP32 search's arithmetic and takes the same lexicographic minimum. (MT = 2 keeps the
// second value without its code: when certified it is above thr, so no code-less entry can be a
// candidate.) Uncertified vectors are searched exhaustively with the same arithmetic. Either
// way: the same index, bit for bit.
//
// THE BOUND B. Per code, with dims padded to Dp and u = 2^-24:
//  - TF32 inputs: z' = z(1 + a), e' = e(1 + b), |a|, |b| <= 2^-10 (truncation; 2^-11 if rounded),
//    so |z'e' - ze| <= (2^-9 + 2^-20) |ze|.
//  - Accumulation in the tensor core: products of TF32 values are exact in fp32; each mma adds
//    8 products to the fp32 accumulator, possibly aligning to the largest term and truncating
//    (Fasi et al., "Numerical behavior of NVIDIA tensor cores", 2021), an error of at most
//    9 * 2^-23 times the running sum of |terms| per mma; over Dp / 8 mmas:
//    <= (Dp + 8) 2^-22 * sum_c |z_c e_c| (with room to spare).
//  - The fp32 dot of the FP32 search: <= gamma_D sum_c |z_c e_c| <= D 2^-24 (1.01) sum |ze|.
//  - The norm: here it enters the accumulation as its initial value -||e||^2 / 2 (exact), so the
//    accumulation bound above applies with ||e||^2 / 2 added to the running sum of |terms|: at
//    most (9/16) Dp 2^-22 (||e||^2 / 2 + sum |ze|) for a, i.e. an extra (9/16) Dp 2^-22 ||e||^2
//    in s~ = -2 a (exact). The FP32 search ends with fmaf(-2, dot, norm): one rounding,
//    <= u |fl s| <= 2^-24 (||e||^2 + 2 ||z|| ||e||) (1.01).
//  Both dot errors are bounded by sum_c |z_c e_c| <= ||z|| ||e_k|| (Cauchy-Schwarz), doubled by
//  the -2, and |s| <= ||e||^2 + 2 ||z|| ||e||, so
//    |s~_k - fl(s_k)| <= [2 (2^-9 + 2^-20 + (Dp + 8) 2^-22 + 1.01 D 2^-24) + 2.02 u] ||z|| ||e_k||
//                        + ((9/16) Dp 2^-22 + 1.01 u) ||e_k||^2
//  and this kernel uses the larger, rounder
//    B = c1 ||z|| E + c2 E^2,   E = max_k ||e_k||,   c1 = (1 + 1/16) 2^-8 + (3 Dp + 40) 2^-22,
//                                                    c2 = (Dp + 2) 2^-22,
//  whose 6% slack on the leading term also covers ||z||^2 being summed in fp32 (relative error
//  <= D u < 3e-5 for Dp <= 320), the square roots, max ||e||^2 taken over fp32 norms, and the
//  fp32 evaluation of B and of s~_(1) + 2B. (Denormal inputs, which the tensor core may flush,
//  change a product by less than 2^-126 |other operand|: far below B unless every value is
//  denormal.) The product form matters when ||z|| and ||e|| differ in scale: a freshly
//  initialised codebook (uniform in [-1/K, 1/K], the reference design's) against unit-scale z
//  has score gaps ~||z|| ||e||, which a (||z||^2 + ||e||^2) bound would never certify.
//  For standard normal data at D = 64: B ~ 2^-8 * 8 * 10 ~ 0.33. Measured (nearest_tc.cu):
//  1.8% of vectors uncertified at K = 256, 2.4% at K = 1024 (MT = 2), 1.8% at D = 256, K = 16384
//  (MT = 4). Non-finite z or codebook: B is Inf/NaN; then every kept candidate is re-ranked and
//  the vector counts as certified (the host throws on the status words when checks are on;
//  otherwise results are unspecified but in bounds).
//
// NAPKIN (H100 SXM: ~400-500 TFLOP/s dense TF32 peak, mma.sync reaching maybe 60-70% of it;
// ~3 TB/s HBM, 132 SMs, 228 KB shared memory per SM, 50 MB L2).
//  - FLOPs 2 N K Dp. N = 524288, D = 64: K = 256 is 17 GFLOP (~0.06 ms at 300 TFLOP/s),
//    K = 1024 is 69 GFLOP (~0.23 ms). N = 131072, D = 256, K = 16384: 1.1 TFLOP (~3.7 ms).
//  - Shared memory per mma (2 x 4 per warp per 8 dims): A 2 x 512 B + B 4 x 256 B = 256 B per
//    m16n8k8, against 128 B/clk/SM of shared bandwidth and ~1 mma/clk/SM: shared-bandwidth
//    bound at ~50% of the tensor peak.
//  - Global: z read once (N D 4 bytes: 134 MB at N = 524288, D = 64, ~45 us), the codebook
//    once per block from L2 ((N/128) K D 4: 0.27 GB at K = 256, 1.1 GB at K = 1024, 17 GB at
//    D = 256, K = 16384), zq written once (another N D 4 bytes) when fused, indices N 4 bytes.
//  - Epilogue: N K scores at 4 instructions each (D <= 64), one score a lane: N K 4 / 32 = 67 M
//    warp instructions at K = 1024. ncu counts 311 M in all there (one step before the final
//    version: the mma loop, the copies, the norms and the per-tile bookkeeping are the rest) and
//    finds the kernel issue- and latency-bound (issue slots 46% busy, no eligible warp 52% of
//    cycles, 16 warps a multiprocessor), not bound by memory (L2 25%, DRAM 8.5% of peak).
//  - Shared memory: 128 (Dp + 4) 4 + 2 x 64 x 68 x 4 (or the lists and queue after the loop, if
//    larger) + 1.5 KB: 71 KB at D = 64 (2 blocks/SM, also the register limit), 173 KB at D = 256
//    (1 block/SM). The host caps D at 320 to stay under the 227 KB opt-in; larger D takes the
//    FP32 search.
//  - Scratch: the list (4 N bytes) and its counter; no N x K buffer, no partials.

#include <math.h>
#include <stdint.h>
#include "vq_nearest_common.cuh"

#define VQT_BM 128        // z vectors per block
#define VQT_BN 64         // codes per code tile
#define VQT_BK 64         // dims per codebook chunk
#define VQT_THREADS 256
#define VQT_M 4           // approximate candidates kept per vector after the merge
#define VQT_PARTS 8       // partitions of the codebook per vector (4 quad lanes x 2 code halves)
#define VQT_EST (VQT_BK + 4)  // e chunk row stride (floats): 272 bytes, 16-byte aligned rows, no bank conflicts
#define VQT_FB_VECS 16    // vectors per fallback chunk
#define VQT_FB_DC 16      // dims per fallback codebook tile


#define VQT_E4_PER_THREAD (VQT_BN * VQT_BK / 4 / VQT_THREADS)  // float4 copies per thread per chunk
static_assert(VQT_BN * VQT_BK % (4 * VQT_THREADS) == 0, "the e loader must cover the chunk evenly");
static_assert(VQT_EST % 32 == 4, "B-fragment reads (code*EST + k) must spread over the 32 banks");

static __device__ __forceinline__ void vqt_cp_async4(float* dst, const float* src, bool valid) {
    const unsigned s = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(s), "l"(src), "r"(valid ? 4 : 0));
}

static __device__ __forceinline__ void vqt_cp_async16(float* dst, const float* src, bool valid) {
    const unsigned s = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(src), "r"(valid ? 16 : 0));
}

static __device__ __forceinline__ void vqt_cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
static __device__ __forceinline__ void vqt_cp_async_wait1() { asm volatile("cp.async.wait_group 1;\n" ::); }
static __device__ __forceinline__ void vqt_cp_async_wait0() { asm volatile("cp.async.wait_group 0;\n" ::); }

// Codebook chunk (codes k0 .. k0+63, dims d0 .. d0+63) into es[64][VQT_EST]; zero past K and D.
// Invalid copies pass the (valid) base pointer with src-size 0: nothing is read, zeros land.
// Thread t copies dims d0 + 4 (t % 16) .. +3 of codes k0 + t / 16 + 16 j: one 64-bit address a
// chunk and 32-bit offsets (ncu: 64-bit index math per copy was about 100 instructions a tile).
static __device__ __forceinline__ void vqt_load_e(float* es, const float* __restrict__ e, int k, int d,
                                                  int k0, int d0, bool vec4) {
    const int tid = threadIdx.x;
    if (vec4) {
        const int part = tid % (VQT_BK / 4), code0 = tid / (VQT_BK / 4);
        const int c = d0 + part * 4;
        const int left = k - k0 - code0;  // codes from this thread's first one to the end of K
        const float* src = e + (long long)(k0 + code0) * d + c;
        float* dst = es + code0 * VQT_EST + part * 4;
#pragma unroll
        for (int j = 0; j < VQT_E4_PER_THREAD; ++j) {
            const int step = j * (VQT_THREADS / (VQT_BK / 4));  // 16 codes a step
            const bool valid = c < d && step < left;  // d % 4 == 0: a float4 is all in or all out
            vqt_cp_async16(dst + step * VQT_EST, valid ? src + step * d : e, valid);
        }
    } else {
#pragma unroll 1
        for (int j = 0; j < 4 * VQT_E4_PER_THREAD; ++j) {  // the slow path (D % 4 != 0): keep registers for the mma
            const int q = tid + j * VQT_THREADS;
            const int code = q / VQT_BK, c0 = q % VQT_BK;
            const int kc = k0 + code;
            const int c = d0 + c0;
            const bool valid = kc < k && c < d;
            vqt_cp_async4(es + code * VQT_EST + c0, valid ? e + (long long)kc * d + c : e, valid);
        }
    }
}

static __device__ __forceinline__ void vqt_mma(float (&c)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// d = a b + c with c from other registers: the first k step of a narrow tile starts from the
// norms without copying them into every accumulator first.
static __device__ __forceinline__ void vqt_mma_c(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1,
                                                 float c0, float c1) {
    asm volatile(
        "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%10,%11,%10,%11};\n"
        : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1), "f"(c0), "f"(c1));
}

static __device__ __forceinline__ void vqt_ldmatrix4(unsigned (&r)[4], const float* p) {
    const unsigned a = (unsigned)__cvta_generic_to_shared(p);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(a));
}

// Inserts (s, kc) into the sorted list (v, id) of the M smallest; NaN never enters.
static __device__ __forceinline__ void vqt_insert(float (&v)[VQT_M], int (&id)[VQT_M], float s, int kc) {
    if (s < v[VQT_M - 1]) {
        v[VQT_M - 1] = s;
        id[VQT_M - 1] = kc;
#pragma unroll
        for (int j = VQT_M - 1; j > 0; --j) {
            if (v[j] < v[j - 1]) {
                const float tv = v[j]; v[j] = v[j - 1]; v[j - 1] = tv;
                const int ti = id[j]; id[j] = id[j - 1]; id[j - 1] = ti;
            }
        }
    }
}

// Words of the region that holds the codebook chunks during the search and the partition lists
// plus the re-rank queue after it (4 M + 2 words a vector for the queue).
static constexpr __host__ __device__ int vqt_es_words(int mt) {
    return 2 * VQT_BN * VQT_EST > VQT_BM * (2 * VQT_PARTS * mt + 2 * VQT_M + 2)
               ? 2 * VQT_BN * VQT_EST : VQT_BM * (2 * VQT_PARTS * mt + 2 * VQT_M + 2);
}

// Keeps the MT smallest scores s~ = -2 a of one partition, given the accumulator a, with their
// codes; NaN never enters. MT = 2 is the short form (4 instructions a score), in accumulator
// space (v[0] the largest a, with its code; v[1] the second largest as a VALUE only, id[1]
// stays VQN_NONE); the caller turns v into scores after the loop. A value is all certification
// needs of the second: it requires every partition's second above the threshold, so when it
// holds, only firsts can be candidates. (A NaN leaves v[1] = v[0] via fminf, and an exact tie
// with v[0] makes v[1] = v[0]: both only lower the floor, so such vectors go to the exhaustive
// fallback, never to a wrong answer.) The general form is vqt_insert's sorted insert of -2 a.
template <int MT>
static __device__ __forceinline__ void vqt_keep_acc(float (&v)[MT], int (&id)[MT], float a, int kc) {
    if constexpr (MT == 2) {
        id[0] = a > v[0] ? kc : id[0];  // strict: among equal scores the lowest (first) code stays
        v[1] = fmaxf(v[1], fminf(v[0], a));
        v[0] = fmaxf(v[0], a);
    } else {
        vqt_insert(v, id, -2.f * a, kc);
    }
}

// The norms of a thread's 8 codes of one tile (first code k0; then +1, +8, +9, ...), +Inf past
// K: there acc = -Inf, a score no list keeps (and which leaves vqt_keep_acc's value-only second
// unchanged, unlike a NaN); emax skips it.
static __device__ __forceinline__ void vqt_norms(float (&en)[8], const float* __restrict__ norms, int k, int k0) {
    if (k0 + 25 < k) {  // all 8 in range (every tile but the last): one address, immediate offsets
        const float* p = norms + k0;
#pragma unroll
        for (int j = 0; j < 8; ++j) en[j] = __ldg(p + (j >> 1) * 8 + (j & 1));
    } else {
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            const int kc = k0 + (j >> 1) * 8 + (j & 1);
            en[j] = kc < k ? __ldg(norms + kc) : INFINITY;
        }
    }
}

// Dynamic shared memory: zs [128][Dp + 4] | es [vqt_es_words(MT)] | win [128] int | zbase [128] long long.
template <int MT, int KPAD>
static __device__ __forceinline__ void
vqt_search(const float* __restrict__ z, const float* __restrict__ e, const float* __restrict__ norms,
           int* __restrict__ indices, float* __restrict__ distances, float* __restrict__ zq,
           int* __restrict__ list, int* __restrict__ list_count, int* __restrict__ status,
           int n, int spatial, int d, int k) {
    extern __shared__ __align__(16) unsigned char vqt_smem[];
    // KPAD > 0 (the narrow kernels): z is padded with zeros to KPAD dims, so the k loop has a
    // compile-time trip count; with a variable one the compiler copied accumulators around the
    // loop's exits (ncu: 23% of the loop's instructions were such moves).
    const int dp = KPAD > 0 ? KPAD : (d + 7) & ~7;
    const int zst = dp + 4;  // z row stride: rows 16-byte aligned, A-fragment reads conflict-free
    float* zs = reinterpret_cast<float*>(vqt_smem);
    float* es = zs + VQT_BM * zst;
    int* win = reinterpret_cast<int*>(es + vqt_es_words(MT));
    long long* zbase = reinterpret_cast<long long*>(win + VQT_BM);
    __shared__ unsigned emax_bits;
    __shared__ int rr_count;

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, t = lane & 3;
    const int rg = warp & 3, cg = warp >> 2;  // vectors rg*32 .. +31, codes cg*32 .. +31 of a tile
    const long long n0 = (long long)blockIdx.x * VQT_BM;
    const bool rows = spatial == 1;
    const bool vec4 = (d & 3) == 0 && (reinterpret_cast<uintptr_t>(e) & 15) == 0;
    const int chunks = KPAD > 0 ? 1 : (d + VQT_BK - 1) / VQT_BK;  // KPAD: the host guarantees d <= KPAD <= 64
    const int tiles = (k - 1) / VQT_BN + 1;
    const int steps = tiles * chunks;  // <= 2^31 / 64 tiles x 5 chunks

    if (tid == 0) emax_bits = 0u;
    if (tid < VQT_BM) {
        const long long nn = n0 + tid;
        zbase[tid] = nn < n ? vq_nearest_zbase(nn, spatial, d) : 0;
    }
    __syncthreads();
    // z tile -> zs with cp.async (every copy in flight at once; zero past N and past D), together
    // with the first codebook chunk in one group. Rows coalesce along c (16-byte copies when
    // D % 4 == 0 and z is aligned), channel-first along vectors. NaN/Inf is looked for later, in
    // the re-rank pass, which reads every z value of the tile anyway.
    if (rows && (d & 3) == 0 && (reinterpret_cast<uintptr_t>(z) & 15) == 0) {
        const int q4 = dp >> 2;
        for (int q = tid; q < VQT_BM * q4; q += VQT_THREADS) {
            const int r = q / q4, c = (q - r * q4) * 4;
            const long long nn = n0 + r;
            const bool valid = nn < n && c < d;
            vqt_cp_async16(zs + r * zst + c, valid ? z + nn * d + c : z, valid);
        }
    } else if (rows) {
        for (int q = tid; q < VQT_BM * dp; q += VQT_THREADS) {
            const int r = q / dp, c = q - r * dp;
            const long long nn = n0 + r;
            const bool valid = nn < n && c < d;
            vqt_cp_async4(zs + r * zst + c, valid ? z + nn * d + c : z, valid);
        }
    } else {
        for (int q = tid; q < VQT_BM * dp; q += VQT_THREADS) {
            const int c = q / VQT_BM, r = q - c * VQT_BM;
            const bool valid = n0 + r < n && c < d;
            vqt_cp_async4(zs + r * zst + c, valid ? z + zbase[r] + (long long)c * spatial : z, valid);
        }
    }
    vqt_load_e(es, e, k, d, 0, 0, vec4);
    vqt_cp_async_commit();

    // Per (thread, vector): the MT smallest (s~, k) of this thread's codes, a "partition" of the
    // codebook (8 per vector: 4 quad lanes x 2 code halves; see vqt_keep for MT = 2).
    // (MT = 2 keeps them in accumulator space, largest acc first, until after the loop.)
    float tv[4][MT];
    int ti[4][MT];
#pragma unroll
    for (int r = 0; r < 4; ++r)
#pragma unroll
        for (int j = 0; j < MT; ++j) { tv[r][j] = MT == 2 ? -INFINITY : INFINITY; ti[r][j] = VQN_NONE; }
    int kcs[8];  // this thread's 8 codes of the current tile (ni, h)
    float cin[8];  // -||e||^2 / 2 of those codes: the accumulators' start
    float enx[8];  // (MT = 2) their norms, loaded one tile ahead: the latency hides behind a tile
    if constexpr (MT == 2) vqt_norms(enx, norms, k, cg * 32 + 2 * t);
    float emax = 0.f;
    float acc[2][4][4];

    int tile = 0, ch = 0;
    for (int s = 0; s < steps; ++s) {
        // Next chunk into the other buffer (free: the previous step ended with a barrier).
        {
            int nt = tile, nc = ch + 1;
            if (nc == chunks) { nc = 0; ++nt; }
            if (nt < tiles) vqt_load_e(es + ((s + 1) & 1) * VQT_BN * VQT_EST, e, k, d, nt * VQT_BN, nc * VQT_BK, vec4);
            vqt_cp_async_commit();  // possibly empty: keeps "all but the newest group" meaning step s
        }
        vqt_cp_async_wait1();
        __syncthreads();

        if (ch == 0) {
            // The accumulators start at -||e||^2 / 2 (exact), so after the mmas acc = z.e - ||e||^2 / 2
            // and s~ = -2 acc exactly: the norm rides in the tensor core's accumulation (bound below).
#pragma unroll
            for (int j = 0; j < 8; ++j) {
                kcs[j] = tile * VQT_BN + cg * 32 + (j >> 1) * 8 + 2 * t + (j & 1);
                float en;
                if constexpr (MT == 2) en = enx[j];  // prefetched (the wide kernel has no registers to spare)
                else en = kcs[j] < k ? __ldg(norms + kcs[j]) : INFINITY;
                emax = fmaxf(emax, kcs[j] < k ? en : 0.f);  // fmaxf ignores a NaN norm
                cin[j] = -0.5f * en;
                if constexpr (KPAD == 0) {  // narrow kernels: the first mma reads cin instead
#pragma unroll
                    for (int mi = 0; mi < 2; ++mi) {
                        acc[mi][j >> 1][j & 1] = cin[j];
                        acc[mi][j >> 1][2 + (j & 1)] = cin[j];
                    }
                }
            }
            if constexpr (MT == 2) vqt_norms(enx, norms, k, (tile + 1) * VQT_BN + cg * 32 + 2 * t);  // next tile's
        }
        const float* eb = es + (s & 1) * VQT_BN * VQT_EST;
        const int d0 = ch * VQT_BK;
        const int ksteps = min(VQT_BK, dp - d0) >> 3;
#pragma unroll
        for (int ks = 0; ks < VQT_BK / 8; ++ks) {  // unrolled so the fragment loads run ahead of the mmas
            if (ks >= ksteps) break;  // never taken when the width is a compile-time KPAD
            unsigned a[2][4];
            // ldmatrix.x4 on 32-bit data: matrix i = lane / 8 is rows (i & 1) * 8 .. +7 at dims
            // (i >> 1) * 4 .. +3 (A), or codes (i >> 1) * 8 .. +7 at dims (i & 1) * 4 .. +3 (B);
            // each thread gets element (row g, dim t) of each: exactly the TF32 fragments.
            const int lr = lane & 7, li = lane >> 3;
#pragma unroll
            for (int mi = 0; mi < 2; ++mi)
                vqt_ldmatrix4(a[mi], zs + (rg * 32 + mi * 16 + (li & 1) * 8 + lr) * zst + d0 + ks * 8 + (li >> 1) * 4);
#pragma unroll
            for (int np = 0; np < 2; ++np) {
                unsigned b[4];
                vqt_ldmatrix4(b, eb + (cg * 32 + np * 16 + (li >> 1) * 8 + lr) * VQT_EST + ks * 8 + (li & 1) * 4);
                if (KPAD > 0 && ks == 0) {  // compile-time: the narrow kernels' first k step
                    vqt_mma_c(acc[0][2 * np], a[0], b[0], b[1], cin[4 * np], cin[4 * np + 1]);
                    vqt_mma_c(acc[1][2 * np], a[1], b[0], b[1], cin[4 * np], cin[4 * np + 1]);
                    vqt_mma_c(acc[0][2 * np + 1], a[0], b[2], b[3], cin[4 * np + 2], cin[4 * np + 3]);
                    vqt_mma_c(acc[1][2 * np + 1], a[1], b[2], b[3], cin[4 * np + 2], cin[4 * np + 3]);
                } else {
                    vqt_mma(acc[0][2 * np], a[0], b[0], b[1]);
                    vqt_mma(acc[1][2 * np], a[1], b[0], b[1]);
                    vqt_mma(acc[0][2 * np + 1], a[0], b[2], b[3]);
                    vqt_mma(acc[1][2 * np + 1], a[1], b[2], b[3]);
                }
            }
        }

        if (ch == chunks - 1) {  // the code tile is complete: fold its scores into the lists
#pragma unroll
            for (int rr = 0; rr < 4; ++rr)  // rows g, g+8 of mi = 0, then of mi = 1; ascending k
#pragma unroll
                for (int j = 0; j < 8; ++j)
                    vqt_keep_acc<MT>(tv[rr], ti[rr], acc[rr >> 1][j >> 1][2 * (rr & 1) + (j & 1)], kcs[j]);
        }
        __syncthreads();  // everyone is done with buffer s & 1 before step s + 1 refills it
        if (++ch == chunks) { ch = 0; ++tile; }
    }
    vqt_cp_async_wait0();
    if constexpr (MT == 2) {  // back to score space: s~ = -2 acc (exact; -Inf becomes +Inf)
#pragma unroll
        for (int r = 0; r < 4; ++r)
#pragma unroll
            for (int j = 0; j < MT; ++j) tv[r][j] *= -2.f;
    }

    // Block max of the norms (non-negative floats order like their bits).
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) emax = fmaxf(emax, __shfl_xor_sync(0xffffffffu, emax, off));
    if (lane == 0) atomicMax(&emax_bits, __float_as_uint(emax));

    // Every partition's pair goes to shared memory (the e buffers are free now).
    float* cv = es;                                                    // [128][8 partitions][MT]
    int* ci = reinterpret_cast<int*>(es + VQT_BM * VQT_PARTS * MT);    // [128][8][MT]
    {
        const int part = cg * 4 + t;
#pragma unroll
        for (int r = 0; r < 4; ++r) {
            const int row = rg * 32 + (r >> 1) * 16 + g + (r & 1) * 8;
#pragma unroll
            for (int j = 0; j < MT; ++j) {
                cv[(row * VQT_PARTS + part) * MT + j] = tv[r][j];
                ci[(row * VQT_PARTS + part) * MT + j] = ti[r][j];
            }
        }
    }
    __syncthreads();

    // Per vector (one thread each): the block's M best, ||z||^2 and the bound, then one of three
    // outcomes. (a) Certified and no other candidate within 2B of the best: the best TF32 score
    // IS the FP32 answer (proof in the header), nothing recomputed; the common case. (b) Certified
    // but other candidates within 2B: queued for the exact re-rank below. (c) Not certified: the
    // re-rank still writes an in-bounds answer, and the vector is listed for kernel 2.
    float* rr_score = es + 2 * VQT_BM * VQT_PARTS * MT;              // [128][M] exact scores
    int* rr_row = reinterpret_cast<int*>(rr_score + VQT_BM * VQT_M);  // queued rows
    int* rr_need = rr_row + VQT_BM;                                   // [128] candidates to score
    int* rr_id = rr_need + VQT_BM;                                    // [128][M] their codes
    if (tid == 0) rr_count = 0;
    __syncthreads();
    if (tid < VQT_BM) {
        const int r = tid;
        const long long nn = n0 + r;
        int best = 0;
        if (nn < n) {
            // The M smallest of the 8 partitions' lists, and the floor: every code a partition
            // dropped scores at least that partition's last kept value, so at least `floor_v`.
            float v[VQT_M];
            int id[VQT_M];
#pragma unroll
            for (int j = 0; j < VQT_M; ++j) { v[j] = INFINITY; id[j] = VQN_NONE; }
            float floor_v = INFINITY;
#pragma unroll
            for (int q = 0; q < VQT_PARTS; ++q) {
                const int o = (r * VQT_PARTS + q) * MT;
#pragma unroll
                for (int j = 0; j < MT; ++j) {
                    if (ci[o + j] != VQN_NONE) vqt_insert(v, id, cv[o + j], ci[o + j]);  // value-only entries: the floor
                }
                floor_v = fminf(floor_v, cv[o + MT - 1]);
            }

            // ||z||^2 and the finiteness check from the tile (16-byte reads: rows are 16-byte aligned,
            // dp % 8 == 0, and the padding past d is zero).
            const float4* zr4 = reinterpret_cast<const float4*>(zs + r * zst);
            float zz = 0.f;
            bool bad = false;
#pragma unroll 4
            for (int q = 0; q < (dp >> 2); ++q) {
                const float4 x = zr4[q];
                bad |= !isfinite(x.x) || !isfinite(x.y) || !isfinite(x.z) || !isfinite(x.w);
                zz = fmaf(x.x, x.x, zz); zz = fmaf(x.y, x.y, zz); zz = fmaf(x.z, x.z, zz); zz = fmaf(x.w, x.w, zz);
            }
            if (bad) atomicMin(&status[1], (int)nn);

            const float dpf = (float)dp;
            const float c1 = 1.0625f * 0x1p-8f + (3.f * dpf + 40.f) * 0x1p-22f;
            const float emax = __uint_as_float(emax_bits);  // max_k ||e_k||^2
            const float bound = c1 * sqrtf(zz) * sqrtf(emax) + (dpf + 2.f) * 0x1p-22f * emax;
            const float thr = v[0] + 2.f * bound;
            // A non-finite bound (non-finite or overflowing data) certifies nothing useful: score all kept.
            const bool finite = isfinite(thr);
            // Certified: every code outside v/id (dropped by a partition, or by the merge above)
            // scores above thr, so the FP32 answer is among the candidates within thr.
            const bool certified = !finite || (v[VQT_M - 1] > thr && !(floor_v <= thr));
            if (!certified) list[atomicAdd(list_count, 1)] = (int)nn;
            int need = 0;
#pragma unroll
            for (int j = 0; j < VQT_M; ++j) need += id[j] != VQN_NONE && (!finite || v[j] <= thr);
            if (certified && need == 1) {
                best = id[0];
            } else if (need > 0) {  // need == 0: every score NaN (non-finite data); stay in bounds
                const int q = atomicAdd(&rr_count, 1);
                rr_row[q] = r;
                rr_need[r] = need;
                // The candidates to score are the first `need` of the sorted list (or all valid ones).
#pragma unroll
                for (int j = 0; j < VQT_M; ++j) rr_id[r * VQT_M + j] = id[j];
            }
        }
        win[r] = best;
    }
    __syncthreads();
    // Exact re-rank, one thread per (queued vector, candidate): the FP32 search's arithmetic (an
    // FMA chain over ascending c from 0, then fmaf(-2, dot, norm)). Only the queued few pay for
    // the scattered codebook reads; the winner is the lexicographic (score, index) minimum.
    const int queued = rr_count;
    for (int q = tid; q < queued * VQT_M; q += VQT_THREADS) {
        const int r = rr_row[q / VQT_M], j = q % VQT_M;
        if (j < rr_need[r]) {
            const int kc = rr_id[r * VQT_M + j];
            const float* zr = zs + r * zst;
            const float* ek = e + (long long)kc * d;
            float dot = 0.f;
            if (vec4) {
                const float4* e4 = reinterpret_cast<const float4*>(ek);
#pragma unroll 4
                for (int c4 = 0; c4 < (d >> 2); ++c4) {
                    const float4 x = __ldg(e4 + c4);
                    dot = fmaf(zr[4 * c4], x.x, dot);
                    dot = fmaf(zr[4 * c4 + 1], x.y, dot);
                    dot = fmaf(zr[4 * c4 + 2], x.z, dot);
                    dot = fmaf(zr[4 * c4 + 3], x.w, dot);
                }
            } else {
#pragma unroll 4
                for (int c = 0; c < d; ++c) dot = fmaf(zr[c], __ldg(ek + c), dot);
            }
            rr_score[r * VQT_M + j] = fmaf(-2.f, dot, __ldg(norms + kc));
        }
    }
    __syncthreads();
    if (tid < queued) {
        const int r = rr_row[tid];
        float bv = INFINITY;
        int bi = VQN_NONE;
        for (int j = 0; j < rr_need[r]; ++j) {
            const float sc = rr_score[r * VQT_M + j];
            const int kc = rr_id[r * VQT_M + j];
            if (vq_nearest_better(sc, kc, bv, bi)) { bv = sc; bi = kc; }
        }
        win[r] = bi == VQN_NONE ? 0 : bi;  // nothing comparable (non-finite data): stay in bounds
    }
    __syncthreads();
    if (tid < VQT_BM && n0 + tid < n) {
        const int r = tid;
        const long long nn = n0 + r;
        const int best = win[r];
        indices[nn] = best;
        if (distances != nullptr) {  // vq_nearest_finalize's operations, in its order
            const float* zr = zs + r * zst;
            const float* ek = e + (long long)best * d;
            float a = 0.f;
            for (int c = 0; c < d; ++c) {
                const float df = __fsub_rn(zr[c], ek[c]);
                a = __fadd_rn(a, __fmul_rn(df, df));
            }
            distances[nn] = a;
        }
    }
    if (zq == nullptr) return;  // uniform over the block
    const int valid = (int)min((long long)VQT_BM, (long long)n - n0);
    if (rows && vec4 && (reinterpret_cast<uintptr_t>(zq) & 15) == 0) {  // 16-byte copies of the rows
        float4* out = reinterpret_cast<float4*>(zq + n0 * d);
        const float4* e4 = reinterpret_cast<const float4*>(e);
        const int q4 = d >> 2;
#pragma unroll 4
        for (int i = tid; i < valid * q4; i += VQT_THREADS) {
            const int r = i / q4, c = i - r * q4;
            out[i] = __ldg(e4 + (long long)win[r] * q4 + c);
        }
    } else if (rows) {  // the block's rows are one contiguous run of valid * d floats
        float* out = zq + n0 * d;
#pragma unroll 4
        for (int i = tid; i < valid * d; i += VQT_THREADS) {
            const int r = i / d, c = i - r * d;
            out[i] = __ldg(e + (long long)win[r] * d + c);
        }
    } else {
        for (int i = tid; i < VQT_BM * d; i += VQT_THREADS) {
            const int c = i / VQT_BM, r = i - c * VQT_BM;
            if (r < valid) zq[zbase[r] + (long long)c * spatial] = e[(long long)win[r] * d + c];
        }
    }
}

// D <= 64 (one codebook chunk): the epilogue is most of the work, so each partition keeps its
// best code and second value (vqt_keep_acc), and z is padded to 64 dims (32 for D <= 32, where
// the padding would double the mmas). D > 64: 4 codes each (fewer vectors uncertified, which
// matters when an exhaustive fallback costs K D FMAs a vector).
// One entry point per instantiation (the host looks kernels up by name).
#define VQT_SEARCH_ENTRY(name, mt, kpad)                                                                       \
    extern "C" __global__ void __launch_bounds__(VQT_THREADS, 2)                                               \
    name(const float* __restrict__ z, const float* __restrict__ e, const float* __restrict__ norms,           \
         int* __restrict__ indices, float* __restrict__ distances, float* __restrict__ zq,                    \
         int* __restrict__ list, int* __restrict__ list_count, int* __restrict__ status,                      \
         int n, int spatial, int d, int k) {                                                                  \
        vqt_search<mt, kpad>(z, e, norms, indices, distances, zq, list, list_count, status, n, spatial, d, k); \
    }

VQT_SEARCH_ENTRY(vq_nearest_tc_search, 2, 64)       // 32 < D <= 64
VQT_SEARCH_ENTRY(vq_nearest_tc_search32, 2, 32)     // D <= 32
VQT_SEARCH_ENTRY(vq_nearest_tc_search_wide, 4, 0)   // 64 < D <= 320

// ---- 2. exhaustive FP32 search of the listed (uncertified) vectors --------------------------

// Dynamic shared memory: fz [d][16] floats (z of the chunk's vectors, transposed).
extern "C" __global__ void __launch_bounds__(VQT_THREADS, 1)
vq_nearest_tc_fallback(const float* __restrict__ z, const float* __restrict__ e, const float* __restrict__ norms,
                       const int* __restrict__ list, const int* __restrict__ list_count,
                       int* __restrict__ indices, float* __restrict__ distances, float* __restrict__ zq,
                       int n, int spatial, int d, int k) {
    extern __shared__ __align__(16) float fz[];
    __shared__ float red_v[VQT_THREADS / 32][VQT_FB_VECS];
    __shared__ int red_i[VQT_THREADS / 32][VQT_FB_VECS];
    __shared__ long long vbase[VQT_FB_VECS];
    __shared__ int vec[VQT_FB_VECS], win[VQT_FB_VECS];
    __shared__ float ect[VQT_THREADS][VQT_FB_DC + 1];  // codebook tile; odd row stride: conflict-free column reads
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int count = min(*list_count, n);

    for (long long base = (long long)blockIdx.x * VQT_FB_VECS; base < count; base += (long long)gridDim.x * VQT_FB_VECS) {
        const int nv = (int)min((long long)VQT_FB_VECS, count - base);
        if (tid < VQT_FB_VECS) {
            const int nn = tid < nv ? list[base + tid] : -1;
            vec[tid] = nn;
            vbase[tid] = nn >= 0 ? vq_nearest_zbase(nn, spatial, d) : 0;
        }
        __syncthreads();
        for (int i = tid; i < VQT_FB_VECS * d; i += VQT_THREADS) {  // transposed: fz[c][v], 16-byte rows
            const int v = i / d, c = i - v * d;
            fz[c * VQT_FB_VECS + v] = v < nv ? z[vbase[v] + (long long)c * spatial] : 0.f;
        }
        __syncthreads();

        float bv[VQT_FB_VECS];
        int bi[VQT_FB_VECS];
#pragma unroll
        for (int v = 0; v < VQT_FB_VECS; ++v) { bv[v] = INFINITY; bi[v] = VQN_NONE; }
        for (long long kb = 0; kb < k; kb += VQT_THREADS) {  // ascending per thread: '<' keeps the lowest index
            const long long kc = kb + tid;
            float acc[VQT_FB_VECS];
#pragma unroll
            for (int v = 0; v < VQT_FB_VECS; ++v) acc[v] = 0.f;
            for (int c0 = 0; c0 < d; c0 += VQT_FB_DC) {
                __syncthreads();  // the previous codebook tile is consumed
                // Codes kb .. kb+255, dims c0 .. c0+15, read coalesced (16 floats a row), zero past K and D.
#pragma unroll 4
                for (int i = 0; i < VQT_THREADS / 16; ++i) {
                    const int row = i * 16 + (tid >> 4), col = tid & 15;
                    const long long kr = kb + row;
                    const int c = c0 + col;
                    ect[row][col] = kr < k && c < d ? __ldg(e + kr * d + c) : 0.f;
                }
                __syncthreads();
                const int cl = min(VQT_FB_DC, d - c0);
                for (int cc = 0; cc < cl; ++cc) {  // the same FMA chain as the searches: ascending c from 0
                    const float ev = ect[tid][cc];
                    const float4* f4 = reinterpret_cast<const float4*>(fz + (c0 + cc) * VQT_FB_VECS);
#pragma unroll
                    for (int q = 0; q < VQT_FB_VECS / 4; ++q) {
                        const float4 x = f4[q];
                        acc[4 * q] = fmaf(x.x, ev, acc[4 * q]);
                        acc[4 * q + 1] = fmaf(x.y, ev, acc[4 * q + 1]);
                        acc[4 * q + 2] = fmaf(x.z, ev, acc[4 * q + 2]);
                        acc[4 * q + 3] = fmaf(x.w, ev, acc[4 * q + 3]);
                    }
                }
            }
            if (kc < k) {
                const float en = __ldg(norms + kc);
#pragma unroll
                for (int v = 0; v < VQT_FB_VECS; ++v) {
                    const float sc = fmaf(-2.f, acc[v], en);
                    if (sc < bv[v]) { bv[v] = sc; bi[v] = (int)kc; }
                }
            }
        }
#pragma unroll
        for (int v = 0; v < VQT_FB_VECS; ++v) {
            float x = bv[v];
            int xi = bi[v];
            vq_nearest_butterfly_min(x, xi, 16);
            if (lane == 0) { red_v[warp][v] = x; red_i[warp][v] = xi; }
        }
        __syncthreads();
        if (tid < nv) {
            float x = red_v[0][tid];
            int xi = red_i[0][tid];
            for (int w = 1; w < VQT_THREADS / 32; ++w) {
                if (vq_nearest_better(red_v[w][tid], red_i[w][tid], x, xi)) { x = red_v[w][tid]; xi = red_i[w][tid]; }
            }
            const int best = (xi < 0 || xi >= k) ? 0 : xi;
            win[tid] = best;
            indices[vec[tid]] = best;
            if (distances != nullptr) {
                const float* ek = e + (long long)best * d;
                float a = 0.f;
                for (int c = 0; c < d; ++c) {
                    const float df = __fsub_rn(fz[c * VQT_FB_VECS + tid], ek[c]);
                    a = __fadd_rn(a, __fmul_rn(df, df));
                }
                distances[vec[tid]] = a;
            }
        }
        __syncthreads();
        if (zq != nullptr) {
            for (int i = tid; i < nv * d; i += VQT_THREADS) {
                const int v = i / d, c = i - v * d;
                zq[vbase[v] + (long long)c * spatial] = e[(long long)win[v] * d + c];
            }
        }
        __syncthreads();  // vec / fz / win are rewritten by the next chunk
    }
}
