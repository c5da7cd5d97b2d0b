// philox.cuh: Philox4x32-10, the CUDA twin of io.vq4j.ops.cpu.Philox (same bits, same mapping).
// Element i of a draw (seed, offset): counter (lo32(i/4), hi32(i/4), lo32(offset), hi32(offset)),
// key (lo32(seed), hi32(seed)), lane i % 4. Normals: Box-Muller on lane pairs (0,1), (2,3) with
// u = ((x >> 9) + 0.5) * 2^-23 (exact, never 0 or 1), r = sqrt(-2 ln u_a), theta = 2 pi u_b.
#pragma once
#include <stdint.h>

#define VQ4J_PHILOX_M0 0xD2511F53u
#define VQ4J_PHILOX_M1 0xCD9E8D57u
#define VQ4J_PHILOX_W0 0x9E3779B9u
#define VQ4J_PHILOX_W1 0xBB67AE85u
#define VQ4J_REVIVE_TAG 0x52455649u

__device__ __forceinline__ uint4 philox4x32_10(uint4 c, uint32_t k0, uint32_t k1) {
#pragma unroll
    for (int round = 0; round < 10; ++round) {
        uint32_t hi0 = __umulhi(VQ4J_PHILOX_M0, c.x), lo0 = VQ4J_PHILOX_M0 * c.x;
        uint32_t hi1 = __umulhi(VQ4J_PHILOX_M1, c.z), lo1 = VQ4J_PHILOX_M1 * c.z;
        c = make_uint4(hi1 ^ c.y ^ k0, lo1, hi0 ^ c.w ^ k1, lo0);
        k0 += VQ4J_PHILOX_W0;
        k1 += VQ4J_PHILOX_W1;
    }
    return c;
}

__device__ __forceinline__ float philox_uniform(uint32_t x) {
    return ((float)(x >> 9) + 0.5f) * 0x1.0p-23f;
}

// The four normals of Philox block q (elements 4q .. 4q+3) of the draw (seed, offset).
__device__ __forceinline__ float4 philox_normal4(unsigned long long seed, unsigned long long offset,
                                                 unsigned long long q) {
    uint4 w = philox4x32_10(make_uint4((uint32_t)q, (uint32_t)(q >> 32), (uint32_t)offset, (uint32_t)(offset >> 32)),
                            (uint32_t)seed, (uint32_t)(seed >> 32));
    float4 g;
    float s, c;
    float r = sqrtf(-2.0f * logf(philox_uniform(w.x)));
    sincospif(2.0f * philox_uniform(w.y), &s, &c);
    g.x = r * c; g.y = r * s;
    r = sqrtf(-2.0f * logf(philox_uniform(w.z)));
    sincospif(2.0f * philox_uniform(w.w), &s, &c);
    g.z = r * c; g.w = r * s;
    return g;
}

// Row of the batch that replaces dead code k (twin of Philox.reviveRow).
__device__ __forceinline__ long long philox_revive_row(unsigned long long seed, int k, long long n) {
    uint4 w = philox4x32_10(make_uint4((uint32_t)k, 0u, 0u, VQ4J_REVIVE_TAG), (uint32_t)seed, (uint32_t)(seed >> 32));
    return (long long)((unsigned long long)w.x % (unsigned long long)n);
}
