// vq_quantize.cu: the VQ gather + straight-through output + loss, in one pass over z.
//
// For every element (n, c) of z (either layout, read in place: offset (b*D + c)*S + s with
// n = b*S + s; rows are S = 1):
//     zq = e[idx[n], c]
//     st = z + (zq - z)          literally, in fp32 (bit for bit PyTorch's straight-through trick)
//     loss partial += (z - zq)^2 in double
// and losses = {codebookLoss, commitmentLoss}, both mean((z - zq)^2) over the N*D elements.
//
// Kernels (launched in this order by io.vq4j.cuda.kernels.QuantizeKernels):
//
// 1. vq_quantize_gather: one thread per element, grid-stride over z's linear storage offset, so
//    z, zq and st are read/written fully coalesced in both layouts; idx[n] is either the same for
//    a run of D threads (rows) or contiguous (channel-first); the codebook row reads hit L1/L2.
//    The offset -> (n, c) split costs two integer divisions, 32-bit when N*D < 2^31 (always for
//    realistic sizes), which hides under the memory traffic. Each block reduces its threads'
//    double partial sums in a fixed order (warp shuffles, then the warp sums in order) and writes
//    one partial per block. An index outside [0, K) is recorded in status[0] by atomicMin over n
//    (by the c == 0 element only) and clamped to 0 for the read, so nothing is read out of bounds.
//    Napkin: per element 4 B z read + 8 B written + the index and code reads (cached), about
//    12-16 B/element: N*D = 6.4e7 (N = 10^6, D = 64) is ~1 GB, ~0.35 ms at ~3 TB/s; 3 FLOPs fp32
//    + 2 fp64 per element.
//
// 2. vq_quantize_loss: one block of 256 threads sums the per-block partials (each thread a fixed
//    strided subset, then a fixed tree), divides by N*D in double and writes both losses.
//    The grid of kernel 1 is a fixed function of N*D (not of the GPU), so the losses are
//    bitwise the same run to run and across GPUs. Napkin: at most 2048 doubles, negligible.

#include <math.h>
#include <stdint.h>

#define VQQ_THREADS 256

// Sum of v over the block, in a fixed order; the result is valid in thread 0.
static __device__ __forceinline__ double vq_quantize_block_sum(double v, double* smem) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
    if (lane == 0) smem[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < (int)(blockDim.x >> 5) ? smem[lane] : 0.0;
#pragma unroll
        for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
    }
    return v;
}

extern "C" __global__ void __launch_bounds__(VQQ_THREADS)
vq_quantize_gather(const float* __restrict__ z, const float* __restrict__ e, const int* __restrict__ idx,
                   float* __restrict__ zq, float* __restrict__ st, double* __restrict__ partials,
                   int* __restrict__ status, long long numel, int spatial, int d, int k) {
    __shared__ double warp_sums[VQQ_THREADS / 32];
    const bool small = numel <= 0x7fffffffLL;  // uniform: pick 32-bit division when it is exact
    const long long stride = (long long)gridDim.x * blockDim.x;
    double acc = 0.0;
    for (long long o = (long long)blockIdx.x * blockDim.x + threadIdx.x; o < numel; o += stride) {
        long long n, c;
        if (small) {
            const unsigned uo = (unsigned)o, us = (unsigned)spatial, ud = (unsigned)d;
            const unsigned plane = uo / us, s = uo - plane * us;  // plane = b*D + c
            const unsigned b = plane / ud;
            c = plane - b * ud;
            n = (long long)b * spatial + s;
        } else {
            const long long plane = o / spatial, s = o - plane * spatial;
            const long long b = plane / d;
            c = plane - b * d;
            n = b * spatial + s;
        }
        int code = idx[n];
        if ((unsigned)code >= (unsigned)k) {  // negative or >= K: flag it, read row 0 instead
            if (c == 0) atomicMin(&status[0], (int)n);
            code = 0;
        }
        const float v = z[o];
        const float q = e[(long long)code * d + c];
        zq[o] = q;
        st[o] = __fadd_rn(v, __fsub_rn(q, v));
        const double diff = (double)v - (double)q;
        acc = fma(diff, diff, acc);
    }
    acc = vq_quantize_block_sum(acc, warp_sums);
    if (threadIdx.x == 0) partials[blockIdx.x] = acc;
}

// One block of VQQ_THREADS threads. count = N*D (exact in double up to 2^53).
extern "C" __global__ void __launch_bounds__(VQQ_THREADS)
vq_quantize_loss(const double* __restrict__ partials, int parts, float* __restrict__ losses, double count) {
    __shared__ double warp_sums[VQQ_THREADS / 32];
    double acc = 0.0;
    for (int i = threadIdx.x; i < parts; i += blockDim.x) acc += partials[i];
    acc = vq_quantize_block_sum(acc, warp_sums);
    if (threadIdx.x == 0) {
        const float loss = (float)(acc / count);
        losses[0] = loss;  // codebook loss  mean((sg[z] - zq)^2)
        losses[1] = loss;  // commitment loss mean((z - sg[zq])^2): same value, other gradient path
    }
}
