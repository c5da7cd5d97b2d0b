// loss.cu: the reconstruction loss, value and gradient in one pass.
//
// loss_mse_partial_f32: for e = pred - target, writes grad = gradScale * 2 * e and one double
//   partial sum of e^2 per block (block-wide tree in shared memory, fixed order).
// loss_mse_finish_f32: one block sums the partials in a fixed order and writes
//   out[0] = valueScale * sum (1 for reduction 'sum', 1/n for 'mean').
// Both passes are deterministic: the same inputs give the same bits every run.
// Napkin math: reads 8 bytes and writes 4 per element; memory-bound (a 3x512x512x8 batch,
// 6.3M elements, is ~25 MB: ~10 us at 3 TB/s).

#define LOSS_THREADS 256

extern "C" __global__ void loss_mse_partial_f32(const float* __restrict__ pred, const float* __restrict__ target,
                                                float* __restrict__ grad, long long n, float gradScale,
                                                double* __restrict__ partials) {
    __shared__ double acc[LOSS_THREADS];
    double s = 0.0;
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        float e = pred[i] - target[i];
        if (grad != nullptr) grad[i] = gradScale * (2.f * e);
        s += (double)e * (double)e;
    }
    acc[threadIdx.x] = s;
    __syncthreads();
    for (int w = LOSS_THREADS / 2; w > 0; w >>= 1) {
        if (threadIdx.x < w) acc[threadIdx.x] += acc[threadIdx.x + w];
        __syncthreads();
    }
    if (threadIdx.x == 0) partials[blockIdx.x] = acc[0];
}

extern "C" __global__ void loss_mse_finish_f32(const double* __restrict__ partials, int count, double valueScale,
                                               float* __restrict__ out) {
    __shared__ double acc[LOSS_THREADS];
    double s = 0.0;
    for (int i = threadIdx.x; i < count; i += LOSS_THREADS) s += partials[i];
    acc[threadIdx.x] = s;
    __syncthreads();
    for (int w = LOSS_THREADS / 2; w > 0; w >>= 1) {
        if (threadIdx.x < w) acc[threadIdx.x] += acc[threadIdx.x + w];
        __syncthreads();
    }
    if (threadIdx.x == 0) out[0] = (float)(acc[0] * valueScale);
}
