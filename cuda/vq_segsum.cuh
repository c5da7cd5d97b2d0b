// vq_segsum.cuh: the device pieces the segment-sum kernels (vq_backward.cu) share with their
// consumers (vq_codebook.cu's EMA update): the scratch block the host zeroes before a pipeline,
// the exact fixed-point encoding of the deterministic sums, and a cursor over z's elements in
// storage order for both layouts. No kernels here.
#pragma once
#include <stdint.h>

// Scratch words of one segment-sum pipeline, zeroed by the host (cuMemsetD32Async) before the
// first kernel. 32 bytes; io.vq4j.cuda.kernels.VqBackwardKernels.SCRATCH_BYTES mirrors the size
// and reads `bad` back at offset 0.
struct VqSegsumScratch {
    unsigned long long bad;   // ~(first bad position) via atomicMax; 0 = every index in [0, K)
    unsigned int absMaxBits;  // max |z| as float bits: non-negative floats order like their bits,
                              // and NaN / Inf sort above every finite value
    int nonFinite;            // 1 when max |z| is Inf or NaN: the fixed-point sums are then invalid
    double scale;             // 2^s, the fixed-point scale of the deterministic sums
    double invScale;          // 2^-s
};

// Records a bad index at position pos: the smallest position wins (~pos is largest), and the
// value 0 stays free to mean "none".
static __device__ __forceinline__ void vq_seg_report_bad(VqSegsumScratch* scratch, long long pos) {
    atomicMax(&scratch->bad, ~(unsigned long long)pos);
}

// z * 2^s rounded to the nearest integer, as the two's complement bits an unsigned 64-bit
// atomicAdd accumulates. Exact apart from that one rounding: z * 2^s is a power-of-two scaling
// of a float, exact in double for every s the scale kernel picks.
static __device__ __forceinline__ unsigned long long vq_seg_fixed(float z, double scale) {
    return (unsigned long long)__double2ll_rn((double)z * scale);
}

// A fixed-point accumulator back to the sum it encodes (NaN when z held Inf or NaN).
static __device__ __forceinline__ double vq_seg_unfixed(unsigned long long acc, const VqSegsumScratch* scratch) {
    if (scratch->nonFinite) return __longlong_as_double(0x7FF8000000000000LL);
    return __ll2double_rn((long long)acc) * scratch->invScale;
}

// Walks elements i = start, start + step, ... of z in storage order, keeping the decomposition
// i = (b*D + c)*S + s (vector n = b*S + s, component c) up to date with 32-bit adds and carries
// instead of two 64-bit divisions per element: the step is split into digits once
// (gs < S, gc < D, gb), and each digit sum overflows its radix at most once.
struct VqSegCursor {
    long long i, b;
    unsigned int c, s;
    unsigned int gs, gc;
    long long gb, step;
};

static __device__ __forceinline__ VqSegCursor vq_seg_cursor(unsigned int start, unsigned int step, int S, int D) {
    VqSegCursor k;
    unsigned int t = start / (unsigned)S;
    k.s = start - t * (unsigned)S;
    k.b = t / (unsigned)D;
    k.c = t - (unsigned)k.b * (unsigned)D;
    unsigned int gt = step / (unsigned)S;
    k.gs = step - gt * (unsigned)S;
    k.gb = gt / (unsigned)D;
    k.gc = gt - (unsigned)k.gb * (unsigned)D;
    k.i = start;
    k.step = step;
    return k;
}

static __device__ __forceinline__ void vq_seg_advance(VqSegCursor& k, int S, int D) {
    // s + gs < 2S <= 2^32 - 2 and c + gc + 1 < 2D: no unsigned overflow
    unsigned int s = k.s + k.gs;
    unsigned int carry = s >= (unsigned)S;
    k.s = carry ? s - (unsigned)S : s;
    unsigned int c = k.c + k.gc + carry;
    unsigned int carry2 = c >= (unsigned)D;
    k.c = carry2 ? c - (unsigned)D : c;
    k.b += k.gb + carry2;
    k.i += k.step;
}
