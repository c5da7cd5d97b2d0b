// vq_nearest_tc.cu: nearest codebook row per z vector on the tensor cores (TF32 mma.sync) with
// an exact FP32 re-rank and a certified fallback, version 1.
//
// Same problem as vq_nearest.cu (argmin_k ||e_k||^2 - 2 z_n.e_k, ties to the lowest k, z read
// in place in either layout, never an N x K matrix), same answer: the final index is BITWISE
// the index the FP32 search of vq_nearest.cu returns (proof below), so its certified
// FP32-vs-float64 bound still applies. The norms come from vq_nearest_codebook_norms (same bits).
//
// Kernels (launched in this order by io.vq4j.cuda.kernels.NearestTcKernels, after the norms):
//
// 1. vq_nearest_tc_search: block = 256 threads (8 warps) owning 128 z vectors; no code splits
//    (the host takes this path only when N/128 blocks fill the GPU).
//    - The block's z tile [128][Dp] (fp32, D zero-padded to Dp = a multiple of 8) is loaded once
//      into shared memory and stays there; the codebook streams through in chunks of 64 codes x
//      64 dims (so D <= 64 is one chunk, one barrier pair, per code tile), double-buffered with cp.async (16-byte copies when D % 4 == 0, else 4-byte),
//      zero-filled past K and past D.
//    - Warp w computes a 32 vectors x 32 codes tile (vector group w % 4, code half w / 4) with
//      mma.sync.m16n8k8 TF32 (2 x 4 mmas per 8 dims, up to 64 mmas per warp per chunk). The operands are the raw
//      fp32 bits: the tensor core reads the top 19 bits (TF32), i.e. each input is truncated,
//      relative error < 2^-10 (the bound below allows for truncation or rounding).
//      Fragment layout (PTX ISA, m16n8k8 .tf32; g = lane / 4, t = lane % 4):
//        A (row-major 16 x 8):  a0 (g, t)  a1 (g+8, t)  a2 (g, t+4)  a3 (g+8, t+4)
//        B (col-major 8 x 8):   b0 (k=t, n=g)  b1 (k=t+4, n=g)
//        C (16 x 8):            c0 (g, 2t)  c1 (g, 2t+1)  c2 (g+8, 2t)  c3 (g+8, 2t+1)
//      so a thread's accumulators hold 4 vectors (g, g+8, g+16, g+24 of the warp's 32) x 8 codes.
//    - Epilogue per code tile: s~ = fmaf(-2, acc, ||e||^2); per (thread, vector) the M = 4
//      smallest (s~, k) are kept in registers (insertion into a sorted list; almost every score
//      fails the first compare). After the last tile: a butterfly over the 4 lanes of a quad,
//      then the two code halves through shared memory, give the block's 4 best per vector.
//    - Certification and re-rank, one thread per vector: with B from the bound below, the
//      vector is CERTIFIED when s~_(4) > s~_(1) + 2B (or fewer than 4 codes exist). The 4
//      candidates are re-scored exactly as vq_nearest.cu scores them (fp32 FMA chain over
//      ascending c from 0, then fmaf(-2, dot, norm), lexicographic minimum). The index (and, if
//      asked, the direct-form distance of vq_nearest_finalize, same operations) is written; an
//      uncertified vector's n is appended to `list` (atomicAdd on list_count) for kernel 2,
//      which overwrites its results. Finally the block writes zq (if asked) for its 128 vectors
//      cooperatively, coalesced in both layouts (the winning rows are hot in L1/L2).
//    The z tile is copied with cp.async (all copies in flight together, not a load-then-store
//    loop per thread) in the same group as the first codebook chunk. z values are checked for
//    NaN/Inf in the re-rank pass (which reads the whole tile); the lowest offender goes to status[1].
//
// 2. vq_nearest_tc_fallback: the listed vectors, exhaustively, in chunks of 16 per block
//    (grid-stride over chunks; the count is read on the device, so the host never waits): the
//    16 vectors sit in shared memory, each thread scores codes tid, tid + 256, ... for all 16
//    with the same FMA chain, then (score, index) minima over the block. Writes index, distance
//    and zq like kernel 1. Napkin: K*D*16 FMAs and one codebook read (from L2) per chunk;
//    for N = 131072, D = 256, K = 16384 and a 1% uncertified rate: 82 chunks, 5.5 GFMA spread
//    over the SMs, ~0.3-0.6 ms; at D = 64, K <= 1024 it is a few microseconds. 0 listed: ~3 us
//    of empty blocks.
//
// WHY THE ANSWER IS THE FP32 SEARCH'S. Let fl(s_k) be the fp32 score of vq_nearest.cu and s~_k
// this kernel's TF32 score, with |s~_k - fl(s_k)| <= B for every k (bound below). Certified
// vector, kept set C (the 4 smallest s~), c = the re-rank's lexicographic winner over C (exact
// fl scores), k1 = the smallest s~ (in C). For any j outside C: s~_j >= s~_(4), so
// fl(s_j) >= s~_j - B >= s~_(4) - B > s~_(1) + B >= fl(s_k1) >= fl(s_c). So fl(s_j) > fl(s_c)
// strictly and j cannot be the FP32 search's lexicographic minimum, which therefore lies in C,
// where the re-rank finds it with the same arithmetic. Uncertified vectors are searched
// exhaustively with the same arithmetic. Either way: the same index, bit for bit.
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
//  - Both scores end with fmaf(-2, dot, norm) (same norm bits): one rounding each,
//    <= u (|s~| + |fl s|) <= 2^-22 (||z||^2 + 2 ||e||^2) (1.01).
//  Both dot errors are bounded by sum_c |z_c e_c| <= ||z|| ||e_k|| (Cauchy-Schwarz), doubled by
//  the -2, and |s| <= ||e||^2 + 2 ||z|| ||e||, so
//    |s~_k - fl(s_k)| <= [2 (2^-9 + 2^-20 + (Dp + 8) 2^-22 + 1.01 D 2^-24) + 4.04 u] ||z|| ||e_k||
//                        + 2.02 u ||e_k||^2
//  and this kernel uses the larger, rounder
//    B = c1 ||z|| E + c2 E^2,   E = max_k ||e_k||,   c1 = (1 + 1/16) 2^-8 + (3 Dp + 40) 2^-22,
//                                                    c2 = 2^-22,
//  whose 6% slack on the leading term also covers ||z||^2 being summed in fp32 (relative error
//  <= D u < 3e-5 for Dp <= 320), the square roots, max ||e||^2 taken over fp32 norms, and the
//  fp32 evaluation of B and of s~_(1) + 2B. (Denormal inputs, which the tensor core may flush,
//  change a product by less than 2^-126 |other operand|: far below B unless every value is
//  denormal.) The product form matters when ||z|| and ||e|| differ in scale: a freshly
//  initialised codebook (uniform in [-1/K, 1/K], the reference design's) against unit-scale z
//  has score gaps ~||z|| ||e||, which a (||z||^2 + ||e||^2) bound would never certify.
//  For standard normal data at D = 64: B ~ 2^-8 * 8 * 10 ~ 0.33, while the gap between the
//  best and 4th best score is typically ~10: the fallback sees well under 1% of the vectors.
//  Non-finite z or codebook: B is Inf/NaN; such vectors are taken as certified (the host throws
//  on the status words when checks are on; otherwise results are unspecified but in bounds).
//
// NAPKIN (H100 SXM: ~400-500 TFLOP/s dense TF32 peak, mma.sync reaching maybe 60-70% of it;
// ~3 TB/s HBM, 132 SMs, 228 KB shared memory per SM, 50 MB L2).
//  - FLOPs 2 N K Dp. N = 524288, D = 64: K = 256 is 17 GFLOP (~0.06 ms at 300 TFLOP/s),
//    K = 1024 is 69 GFLOP (~0.23 ms). N = 131072, D = 256, K = 16384: 1.1 TFLOP (~3.7 ms).
//  - Shared memory per mma (2 x 4 per warp per 8 dims): A 2 x 512 B + B 4 x 256 B = 256 B per
//    m16n8k8, against 128 B/clk/SM of shared bandwidth and ~1 mma/clk/SM: shared-bandwidth
//    bound at ~50% of the tensor peak. A register-resident A (small D) or ldmatrix would lift it.
//  - Global: z read once (N D 4 bytes: 134 MB at N = 524288, D = 64, ~45 us), the codebook
//    once per block from L2 ((N/128) K D 4: 0.5 GB at K = 256, 17 GB at D = 256, K = 16384:
//    L2-bandwidth bound at ~2-3 ms there, which is why the 128-vector tile matters), zq written
//    once (another N D 4 bytes) when fused, indices N 4 bytes.
//  - Epilogue: N K scores, each ~3 instructions (fma, compare, rarely an insert): 134M at
//    K = 256 is ~10 us over the GPU.
//  - Shared memory: 128 (Dp + 4) 4 + 2 x 64 x 68 x 4 + 1.5 KB: 71 KB at D = 64 (2 blocks/SM,
//    also the register limit), 170 KB at D = 256 (1 block/SM). The host caps D at 320
//    (166 KB + 36 KB = 202 KB) to stay under the 227 KB opt-in; larger D takes the FP32 search.
//  - Scratch: the list (4 N bytes) and its counter; no N x K buffer, no partials.

#include <math.h>
#include <stdint.h>
#include "vq_nearest_common.cuh"

#define VQT_BM 128        // z vectors per block
#define VQT_BN 64         // codes per code tile
#define VQT_BK 64         // dims per codebook chunk
#define VQT_THREADS 256
#define VQT_M 4           // approximate candidates kept per vector
#define VQT_EST (VQT_BK + 4)  // e chunk row stride (floats): 272 bytes, 16-byte aligned rows, no bank conflicts
#define VQT_FB_VECS 16    // vectors per fallback chunk

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
static __device__ __forceinline__ void vqt_load_e(float* es, const float* __restrict__ e, int k, int d,
                                                  long long k0, int d0, bool vec4) {
    const int tid = threadIdx.x;
    if (vec4) {
#pragma unroll
        for (int j = 0; j < VQT_E4_PER_THREAD; ++j) {
            const int q = tid + j * VQT_THREADS;
            const int code = q / (VQT_BK / 4), part = q % (VQT_BK / 4);
            const long long kc = k0 + code;
            const int c = d0 + part * 4;
            const bool valid = kc < k && c < d;  // d % 4 == 0: a float4 is all in or all out
            vqt_cp_async16(es + code * VQT_EST + part * 4, valid ? e + kc * d + c : e, valid);
        }
    } else {
#pragma unroll 1
        for (int j = 0; j < 4 * VQT_E4_PER_THREAD; ++j) {  // the slow path (D % 4 != 0): keep registers for the mma
            const int q = tid + j * VQT_THREADS;
            const int code = q / VQT_BK, c0 = q % VQT_BK;
            const long long kc = k0 + code;
            const int c = d0 + c0;
            const bool valid = kc < k && c < d;
            vqt_cp_async4(es + code * VQT_EST + c0, valid ? e + kc * d + c : e, valid);
        }
    }
}

static __device__ __forceinline__ void vqt_mma(float (&c)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
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

// Dynamic shared memory: zs [128][Dp + 4] | es [2][64][VQT_EST] | win [128] int | zbase [128] long long.
extern "C" __global__ void __launch_bounds__(VQT_THREADS, 2)
vq_nearest_tc_search(const float* __restrict__ z, const float* __restrict__ e, const float* __restrict__ norms,
                     int* __restrict__ indices, float* __restrict__ distances, float* __restrict__ zq,
                     int* __restrict__ list, int* __restrict__ list_count, int* __restrict__ status,
                     int n, int spatial, int d, int k) {
    extern __shared__ __align__(16) unsigned char vqt_smem[];
    const int dp = (d + 7) & ~7;
    const int zst = dp + 4;  // z row stride: rows 16-byte aligned, A-fragment reads conflict-free
    float* zs = reinterpret_cast<float*>(vqt_smem);
    float* es = zs + VQT_BM * zst;
    int* win = reinterpret_cast<int*>(es + 2 * VQT_BN * VQT_EST);
    long long* zbase = reinterpret_cast<long long*>(win + VQT_BM);
    __shared__ unsigned emax_bits;

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, t = lane & 3;
    const int rg = warp & 3, cg = warp >> 2;  // vectors rg*32 .. +31, codes cg*32 .. +31 of a tile
    const long long n0 = (long long)blockIdx.x * VQT_BM;
    const bool rows = spatial == 1;
    const bool vec4 = (d & 3) == 0 && (reinterpret_cast<uintptr_t>(e) & 15) == 0;
    const int chunks = (d + VQT_BK - 1) / VQT_BK;
    const int tiles = (k - 1) / VQT_BN + 1;
    const long long steps = (long long)tiles * chunks;

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

    float tv[4][VQT_M];
    int ti[4][VQT_M];
#pragma unroll
    for (int r = 0; r < 4; ++r)
#pragma unroll
        for (int j = 0; j < VQT_M; ++j) { tv[r][j] = INFINITY; ti[r][j] = VQN_NONE; }
    float emax = 0.f;
    float acc[2][4][4];

    int tile = 0, ch = 0;
    for (long long s = 0; s < steps; ++s) {
        // Next chunk into the other buffer (free: the previous step ended with a barrier).
        {
            int nt = tile, nc = ch + 1;
            if (nc == chunks) { nc = 0; ++nt; }
            if (nt < tiles) vqt_load_e(es + ((s + 1) & 1) * VQT_BN * VQT_EST, e, k, d, (long long)nt * VQT_BN, nc * VQT_BK, vec4);
            vqt_cp_async_commit();  // possibly empty: keeps "all but the newest group" meaning step s
        }
        vqt_cp_async_wait1();
        __syncthreads();

        if (ch == 0) {
#pragma unroll
            for (int mi = 0; mi < 2; ++mi)
#pragma unroll
                for (int ni = 0; ni < 4; ++ni)
#pragma unroll
                    for (int q = 0; q < 4; ++q) acc[mi][ni][q] = 0.f;
        }
        const float* eb = es + (s & 1) * VQT_BN * VQT_EST;
        const int d0 = ch * VQT_BK;
        const int ksteps = min(VQT_BK, dp - d0) >> 3;
        for (int ks = 0; ks < ksteps; ++ks) {
            unsigned a[2][4];
#pragma unroll
            for (int mi = 0; mi < 2; ++mi) {
                const float* zr = zs + (rg * 32 + mi * 16 + g) * zst + d0 + ks * 8 + t;
                a[mi][0] = __float_as_uint(zr[0]);
                a[mi][1] = __float_as_uint(zr[8 * zst]);
                a[mi][2] = __float_as_uint(zr[4]);
                a[mi][3] = __float_as_uint(zr[8 * zst + 4]);
            }
#pragma unroll
            for (int ni = 0; ni < 4; ++ni) {
                const float* er = eb + (cg * 32 + ni * 8 + g) * VQT_EST + ks * 8 + t;
                const unsigned b0 = __float_as_uint(er[0]), b1 = __float_as_uint(er[4]);
                vqt_mma(acc[0][ni], a[0], b0, b1);
                vqt_mma(acc[1][ni], a[1], b0, b1);
            }
        }

        if (ch == chunks - 1) {  // the code tile is complete: fold its scores into the top-M lists
#pragma unroll
            for (int ni = 0; ni < 4; ++ni) {
#pragma unroll
                for (int h = 0; h < 2; ++h) {
                    const int kc = tile * VQT_BN + cg * 32 + ni * 8 + 2 * t + h;
                    if (kc < k) {
                        const float en = __ldg(norms + kc);
                        emax = fmaxf(emax, en);
#pragma unroll
                        for (int mi = 0; mi < 2; ++mi) {
                            vqt_insert(tv[mi * 2], ti[mi * 2], fmaf(-2.f, acc[mi][ni][h], en), kc);
                            vqt_insert(tv[mi * 2 + 1], ti[mi * 2 + 1], fmaf(-2.f, acc[mi][ni][2 + h], en), kc);
                        }
                    }
                }
            }
        }
        __syncthreads();  // everyone is done with buffer s & 1 before step s + 1 refills it
        if (++ch == chunks) { ch = 0; ++tile; }
    }
    vqt_cp_async_wait0();

    // Quad merge: lanes t = 0..3 hold the same 4 vectors; after xor 1 and xor 2, lane t = 0 holds
    // the 4 smallest of the quad (any equal-score choice is fine: the re-rank is exact).
#pragma unroll
    for (int off = 1; off <= 2; off <<= 1) {
#pragma unroll
        for (int r = 0; r < 4; ++r) {
            float ov[VQT_M];
            int oi[VQT_M];
#pragma unroll
            for (int j = 0; j < VQT_M; ++j) {
                ov[j] = __shfl_xor_sync(0xffffffffu, tv[r][j], off);
                oi[j] = __shfl_xor_sync(0xffffffffu, ti[r][j], off);
            }
#pragma unroll
            for (int j = 0; j < VQT_M; ++j) vqt_insert(tv[r], ti[r], ov[j], oi[j]);
        }
    }
    // Block max of the norms (non-negative floats order like their bits).
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) emax = fmaxf(emax, __shfl_xor_sync(0xffffffffu, emax, off));
    if (lane == 0) atomicMax(&emax_bits, __float_as_uint(emax));

    // The code halves meet in shared memory (the e buffers are free now).
    float* cv = es;                                                // [2][128][M]
    int* ci = reinterpret_cast<int*>(es + 2 * VQT_BM * VQT_M);     // [2][128][M]
    if (t == 0) {
#pragma unroll
        for (int r = 0; r < 4; ++r) {
            const int row = rg * 32 + (r >> 1) * 16 + g + (r & 1) * 8;
#pragma unroll
            for (int j = 0; j < VQT_M; ++j) {
                cv[(cg * VQT_BM + row) * VQT_M + j] = tv[r][j];
                ci[(cg * VQT_BM + row) * VQT_M + j] = ti[r][j];
            }
        }
    }
    __syncthreads();

    if (tid < VQT_BM) {
        const int r = tid;
        const long long nn = n0 + r;
        int best = 0;
        if (nn < n) {
            float v[VQT_M];
            int id[VQT_M];
#pragma unroll
            for (int j = 0; j < VQT_M; ++j) { v[j] = cv[r * VQT_M + j]; id[j] = ci[r * VQT_M + j]; }
#pragma unroll
            for (int j = 0; j < VQT_M; ++j) vqt_insert(v, id, cv[(VQT_BM + r) * VQT_M + j], ci[(VQT_BM + r) * VQT_M + j]);

            // Exact re-rank: the FP32 search's arithmetic, 4 independent chains.
            const float* zr = zs + r * zst;
            const float* ep[VQT_M];
            float dot[VQT_M];
#pragma unroll
            for (int j = 0; j < VQT_M; ++j) {
                ep[j] = e + (long long)(id[j] == VQN_NONE ? 0 : id[j]) * d;
                dot[j] = 0.f;
            }
            float zz = 0.f;
            bool bad = false;
#pragma unroll 4
            for (int c = 0; c < d; ++c) {
                const float zc = zr[c];
                bad |= !isfinite(zc);
                zz = fmaf(zc, zc, zz);
#pragma unroll
                for (int j = 0; j < VQT_M; ++j) dot[j] = fmaf(zc, __ldg(ep[j] + c), dot[j]);
            }
            if (bad) atomicMin(&status[1], (int)nn);
            float bv = INFINITY;
            int bi = VQN_NONE;
#pragma unroll
            for (int j = 0; j < VQT_M; ++j) {
                if (id[j] != VQN_NONE) {
                    const float sc = fmaf(-2.f, dot[j], __ldg(norms + id[j]));
                    if (vq_nearest_better(sc, id[j], bv, bi)) { bv = sc; bi = id[j]; }
                }
            }
            best = bi == VQN_NONE ? 0 : bi;  // nothing comparable (non-finite data): stay in bounds
            indices[nn] = best;

            const float dpf = (float)dp;
            const float c1 = 1.0625f * 0x1p-8f + (3.f * dpf + 40.f) * 0x1p-22f;
            const float emax = __uint_as_float(emax_bits);  // max_k ||e_k||^2
            const float bound = c1 * sqrtf(zz) * sqrtf(emax) + 0x1p-22f * emax;
            const bool certified = !isfinite(bound) || v[VQT_M - 1] > v[0] + 2.f * bound;
            if (!certified) list[atomicAdd(list_count, 1)] = (int)nn;

            if (distances != nullptr) {  // vq_nearest_finalize's operations, in its order
                const float* ek = e + (long long)best * d;
                float a = 0.f;
                for (int c = 0; c < d; ++c) {
                    const float df = __fsub_rn(zr[c], ek[c]);
                    a = __fadd_rn(a, __fmul_rn(df, df));
                }
                distances[nn] = a;
            }
        }
        win[r] = best;
    }
    if (zq == nullptr) return;  // uniform over the block
    __syncthreads();
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

// ---- 2. exhaustive FP32 search of the listed (uncertified) vectors --------------------------

// Dynamic shared memory: fz [16][d] floats.
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
        for (int i = tid; i < VQT_FB_VECS * d; i += VQT_THREADS) {
            const int v = i / d, c = i - v * d;
            fz[i] = v < nv ? z[vbase[v] + (long long)c * spatial] : 0.f;
        }
        __syncthreads();

        float bv[VQT_FB_VECS];
        int bi[VQT_FB_VECS];
#pragma unroll
        for (int v = 0; v < VQT_FB_VECS; ++v) { bv[v] = INFINITY; bi[v] = VQN_NONE; }
        for (int kc = tid; kc < k; kc += VQT_THREADS) {  // ascending per thread: '<' keeps the lowest index
            const float* er = e + (long long)kc * d;
            float acc[VQT_FB_VECS];
#pragma unroll
            for (int v = 0; v < VQT_FB_VECS; ++v) acc[v] = 0.f;
            for (int c = 0; c < d; ++c) {
                const float ev = __ldg(er + c);
#pragma unroll
                for (int v = 0; v < VQT_FB_VECS; ++v) acc[v] = fmaf(fz[v * d + c], ev, acc[v]);
            }
            const float en = __ldg(norms + kc);
#pragma unroll
            for (int v = 0; v < VQT_FB_VECS; ++v) {
                const float sc = fmaf(-2.f, acc[v], en);
                if (sc < bv[v]) { bv[v] = sc; bi[v] = kc; }
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
                    const float df = __fsub_rn(fz[tid * d + c], ek[c]);
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
