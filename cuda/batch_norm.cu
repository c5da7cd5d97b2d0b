// batch_norm.cu: BatchNorm2d in training mode over NCHW, forward and backward, as the CPU twin
// (ops/cpu/BatchNormCpu) computes it: per channel c, M = N*H*W values; the biased variance
// normalises, the unbiased one goes into the running variance.
//
// Why not cuDNN's: in the conv VAE training step on an H100 (Nsight Compute, real clocks) its
// bn_fw_tr_1C11 kernel took 267 us and bn_bw_1C11 820 us a call at 8x64x256x256, about 2x and 4x
// what their bytes need at 3 TB/s, and together a third of the step's kernel time.
//
// Every pass splits the N*HW values of a channel into `units` pieces fixed by the shape (rows n,
// each cut into `parts` chunks of HW), so the sums, in fp64 and in a fixed order, are the same
// bits on every run.
//   bn_reduce_f32          grid (units, C), block 256. Forward (dy == null): sums of a = x - K and
//                          a^2, K = x[0][c][0] (shifting by a sample of the channel keeps
//                          E[a^2] - E[a]^2 free of cancellation when |mean| >> std). Backward:
//                          sums of dy and dy * (x - saveMean). partial[(c * units + u) * 2 + {0, 1}].
//   bn_forward_finish_f32  one thread per channel: mean, biased variance, invstd = 1/sqrt(var + eps),
//                          saveMean/saveInvstd, the running statistics (momentum, unbiased variance),
//                          and the apply pass's per-channel (hi, lo, scale, shift).
//   bn_forward_apply_f32   y = ((x - hi) - lo) * scale + shift (the mean as a float pair hi + lo, as
//                          the CPU twin), one block per (n, c) row, float4 when HW allows.
//   bn_backward_finish_f32 dbeta = sum dy, dgamma = sum dy*(x - mean) * invstd, and (k, a, b, mean).
//   bn_backward_apply_f32  dx = k * ((dy - a) - (x - mean) * b), rounded step by step as the twin.
// Napkin, 8x64x256x256 (33.5M values, 134 MB): forward reads x twice and writes y, 403 MB, ~135 us
// at 3 TB/s; backward reads x and dy twice and writes dx, 671 MB, ~225 us.

#define BN_THREADS 256

extern "C" __global__ void __launch_bounds__(BN_THREADS)
bn_reduce_f32(double* __restrict__ partial, const float* __restrict__ x, const float* __restrict__ dy,
              const float* __restrict__ mean, int n, int c, long long hw, int parts) {
    __shared__ double s1[BN_THREADS], s2[BN_THREADS];
    const int u = blockIdx.x, ch = blockIdx.y, t = threadIdx.x;
    const int units = gridDim.x;
    const int row = u / parts, part = u % parts;
    const long long chunk = (hw + parts - 1) / parts;
    const long long p0 = (long long)part * chunk;
    const long long p1 = p0 + chunk < hw ? p0 + chunk : hw;
    const float* xr = x + ((long long)row * c + ch) * hw;
    double a1 = 0.0, a2 = 0.0;
    if (dy == nullptr) {
        const double k = (double)x[(long long)ch * hw];  // x[0][c][0]
#pragma unroll 4
        for (long long p = p0 + t; p < p1; p += BN_THREADS) {
            const double a = (double)xr[p] - k;
            a1 += a;
            a2 += a * a;
        }
    } else {
        const float* gr = dy + ((long long)row * c + ch) * hw;
        const double m = (double)mean[ch];
#pragma unroll 4
        for (long long p = p0 + t; p < p1; p += BN_THREADS) {
            const double g = (double)gr[p];
            a1 += g;
            a2 += g * ((double)xr[p] - m);
        }
    }
    s1[t] = a1;
    s2[t] = a2;
    __syncthreads();
    for (int w = BN_THREADS / 2; w > 0; w >>= 1) {
        if (t < w) {
            s1[t] += s1[t + w];
            s2[t] += s2[t + w];
        }
        __syncthreads();
    }
    if (t == 0) {
        partial[((long long)ch * units + u) * 2] = s1[0];
        partial[((long long)ch * units + u) * 2 + 1] = s2[0];
    }
}

// params[c * 4 + {0, 1, 2, 3}] = hi, lo, scale, shift for bn_forward_apply_f32.
extern "C" __global__ void bn_forward_finish_f32(float* __restrict__ params, float* __restrict__ saveMean,
                                                 float* __restrict__ saveInvstd, float* __restrict__ runningMean,
                                                 float* __restrict__ runningVar, const double* __restrict__ partial,
                                                 const float* __restrict__ x, const float* __restrict__ gamma,
                                                 const float* __restrict__ beta, int c, long long hw, int units,
                                                 long long m, float eps, float momentum) {
    const int ch = blockIdx.x * blockDim.x + threadIdx.x;
    if (ch >= c) return;
    double t1 = 0.0, t2 = 0.0;
    for (int u = 0; u < units; ++u) {
        t1 += partial[((long long)ch * units + u) * 2];
        t2 += partial[((long long)ch * units + u) * 2 + 1];
    }
    const double k = (double)x[(long long)ch * hw];
    const double dm = t1 / (double)m;
    const double mean = k + dm;
    double ss = t2 - t1 * dm;  // sum of (x - mean)^2
    if (ss < 0.0) ss = 0.0;
    const double var = ss / (double)m;
    const double invstd = 1.0 / sqrt(var + (double)eps);
    saveMean[ch] = (float)mean;
    saveInvstd[ch] = (float)invstd;
    const float hi = (float)mean;
    params[ch * 4] = hi;
    params[ch * 4 + 1] = (float)(mean - (double)hi);
    params[ch * 4 + 2] = (float)(invstd * (double)gamma[ch]);
    params[ch * 4 + 3] = beta[ch];
    if (runningMean != nullptr) {
        const double unbiased = ss / (double)(m - 1);
        runningMean[ch] = (float)((1.0 - (double)momentum) * (double)runningMean[ch] + (double)momentum * mean);
        runningVar[ch] = (float)((1.0 - (double)momentum) * (double)runningVar[ch] + (double)momentum * unbiased);
    }
}

static __device__ __forceinline__ float bn_norm(float v, float hi, float lo, float scale, float shift) {
    return __fadd_rn(__fmul_rn(__fsub_rn(__fsub_rn(v, hi), lo), scale), shift);
}

// One block per (n, c) row: grid-stride over the N*C rows.
extern "C" __global__ void __launch_bounds__(BN_THREADS)
bn_forward_apply_f32(float* __restrict__ y, const float* __restrict__ x, const float* __restrict__ params,
                     long long rows, int c, long long hw) {
    const bool vec = (hw & 3) == 0 && (reinterpret_cast<unsigned long long>(x) & 15) == 0
                     && (reinterpret_cast<unsigned long long>(y) & 15) == 0;
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const int ch = (int)(r % c);
        const float hi = params[ch * 4], lo = params[ch * 4 + 1], scale = params[ch * 4 + 2], shift = params[ch * 4 + 3];
        const float* xr = x + r * hw;
        float* yr = y + r * hw;
        if (vec) {
            const float4* x4 = reinterpret_cast<const float4*>(xr);
            float4* y4 = reinterpret_cast<float4*>(yr);
            for (long long q = threadIdx.x; q < (hw >> 2); q += BN_THREADS) {
                const float4 v = x4[q];
                y4[q] = make_float4(bn_norm(v.x, hi, lo, scale, shift), bn_norm(v.y, hi, lo, scale, shift),
                                    bn_norm(v.z, hi, lo, scale, shift), bn_norm(v.w, hi, lo, scale, shift));
            }
        } else {
            for (long long p = threadIdx.x; p < hw; p += BN_THREADS) yr[p] = bn_norm(xr[p], hi, lo, scale, shift);
        }
    }
}

// params[c * 4 + {0, 1, 2, 3}] = k, a, b, mean for bn_backward_apply_f32.
extern "C" __global__ void bn_backward_finish_f32(float* __restrict__ params, float* __restrict__ dGamma,
                                                  float* __restrict__ dBeta, const double* __restrict__ partial,
                                                  const float* __restrict__ gamma, const float* __restrict__ saveMean,
                                                  const float* __restrict__ saveInvstd, int c, int units, long long m) {
    const int ch = blockIdx.x * blockDim.x + threadIdx.x;
    if (ch >= c) return;
    double sdy = 0.0, sdyx = 0.0;
    for (int u = 0; u < units; ++u) {
        sdy += partial[((long long)ch * units + u) * 2];
        sdyx += partial[((long long)ch * units + u) * 2 + 1];
    }
    const double invstd = (double)saveInvstd[ch];
    const double dg = sdyx * invstd;
    dBeta[ch] = (float)sdy;
    dGamma[ch] = (float)dg;
    params[ch * 4] = (float)((double)gamma[ch] * invstd);
    params[ch * 4 + 1] = (float)(sdy / (double)m);
    params[ch * 4 + 2] = (float)(dg * invstd / (double)m);
    params[ch * 4 + 3] = saveMean[ch];
}

static __device__ __forceinline__ float bn_dx(float g, float v, float k, float a, float b, float mf) {
    return __fmul_rn(k, __fsub_rn(__fsub_rn(g, a), __fmul_rn(__fsub_rn(v, mf), b)));
}

extern "C" __global__ void __launch_bounds__(BN_THREADS)
bn_backward_apply_f32(float* __restrict__ dx, const float* __restrict__ dy, const float* __restrict__ x,
                      const float* __restrict__ params, long long rows, int c, long long hw) {
    const bool vec = (hw & 3) == 0 && (reinterpret_cast<unsigned long long>(x) & 15) == 0
                     && (reinterpret_cast<unsigned long long>(dy) & 15) == 0
                     && (reinterpret_cast<unsigned long long>(dx) & 15) == 0;
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const int ch = (int)(r % c);
        const float k = params[ch * 4], a = params[ch * 4 + 1], b = params[ch * 4 + 2], mf = params[ch * 4 + 3];
        const float* xr = x + r * hw;
        const float* gr = dy + r * hw;
        float* dr = dx + r * hw;
        if (vec) {
            const float4* x4 = reinterpret_cast<const float4*>(xr);
            const float4* g4 = reinterpret_cast<const float4*>(gr);
            float4* d4 = reinterpret_cast<float4*>(dr);
            for (long long q = threadIdx.x; q < (hw >> 2); q += BN_THREADS) {
                const float4 v = x4[q], g = g4[q];
                d4[q] = make_float4(bn_dx(g.x, v.x, k, a, b, mf), bn_dx(g.y, v.y, k, a, b, mf),
                                    bn_dx(g.z, v.z, k, a, b, mf), bn_dx(g.w, v.w, k, a, b, mf));
            }
        } else {
            for (long long p = threadIdx.x; p < hw; p += BN_THREADS) dr[p] = bn_dx(gr[p], xr[p], k, a, b, mf);
        }
    }
}
