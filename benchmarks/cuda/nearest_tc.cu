// nearest_tc.cu: stand-alone harness for the tensor-core nearest-code search (llm.c dev/cuda
// style), so the kernel can be timed, checked and profiled (ncu) without the JVM.
//
//   nvcc -O3 -std=c++17 -arch=sm_90 -lineinfo -I cuda -o nearest_tc benchmarks/cuda/nearest_tc.cu
//   ./nearest_tc N D K [reps] [layout: rows|nchw] [codebook: normal|small]
//
// Data: z standard normal; the codebook standard normal ("normal") or uniform in [-1/K, 1/K)
// ("small": the reference quantizer's initialisation). Both drawn on the host with a fixed seed.
// Check: every index BITWISE equal to the FP32 search's (vq_nearest.cu, what the TC search
// promises), and every zq row equal to the chosen codebook row. Timing: CUDA events around the
// whole call as CudaNearest issues it (list-count memset, norms, search, fallback), median of
// `reps`, inputs rotated among enough sets to exceed the 50 MB L2 twice (as GpuBench rotates them).
// Prints the uncertified count.
// Napkin: FLOPs 2 N K D (TF32), bytes N D 4 (z) + N D 4 (zq) + N 4 (indices) + K D 4.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <cmath>
#include <cuda_runtime.h>
#include "vq_nearest.cu"
#include "vq_nearest_tc.cu"

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { \
    fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_)); exit(1); } } while (0)

static unsigned long long rng = 0x9E3779B97F4A7C15ull;
static double uni() { rng = rng * 6364136223846793005ull + 1442695040888963407ull; return ((rng >> 11) + 0.5) * 0x1p-53; }
static float gauss() { return (float)(sqrt(-2.0 * log(uni())) * cos(6.283185307179586 * uni())); }

int main(int argc, char** argv) {
    if (argc < 4) { fprintf(stderr, "usage: nearest_tc N D K [reps] [rows|nchw] [normal|small]\n"); return 2; }
    const int n = atoi(argv[1]), d = atoi(argv[2]), k = atoi(argv[3]);
    const int reps = argc > 4 ? atoi(argv[4]) : 30;
    const bool nchw = argc > 5 && strcmp(argv[5], "nchw") == 0;
    const bool small = argc > 6 && strcmp(argv[6], "small") == 0;
    const int spatial = nchw ? 64 : 1;  // nchw: [N/64, D, 8, 8]
    if (nchw && n % 64) { fprintf(stderr, "nchw needs N %% 64 == 0\n"); return 2; }

    const size_t zb = (size_t)n * d * 4;
    // GpuBench's rotation (Workload.rotations): enough sets to exceed twice the L2, 2 to 8.
    const double set_bytes = 8.0 * n * d + 4.0 * n + 4.0 * k * d;
    const int sets = (int)std::max(2.0, std::min(8.0, std::floor(2.0 * (50 << 20) / set_bytes) + 1));
    std::vector<float> hz((size_t)n * d), he((size_t)k * d);
    for (auto& v : he) v = small ? (float)((2 * uni() - 1) / k) : gauss();
    float *z[8], *zq[8], *e, *norms; int *idx[8], *list, *count, *status;
    for (int s = 0; s < sets; ++s) {
        for (auto& v : hz) v = gauss();
        CK(cudaMalloc(&z[s], zb)); CK(cudaMalloc(&zq[s], zb)); CK(cudaMalloc(&idx[s], 4 * (size_t)n));
        CK(cudaMemcpy(z[s], hz.data(), zb, cudaMemcpyHostToDevice));
    }
    CK(cudaMalloc(&e, 4 * (size_t)k * d)); CK(cudaMalloc(&norms, 4 * (size_t)k));
    CK(cudaMalloc(&list, 4 * (size_t)n)); CK(cudaMalloc(&count, 4)); CK(cudaMalloc(&status, 8));
    CK(cudaMemcpy(e, he.data(), 4 * (size_t)k * d, cudaMemcpyHostToDevice));
    CK(cudaMemset(status, 0x7f, 8));

    int dev; cudaDeviceProp prop; CK(cudaGetDevice(&dev)); CK(cudaGetDeviceProperties(&prop, dev));
    const int dp = (d + 7) & ~7;
    // The kernel and tile width NearestTcKernels picks: 32 or 64 dims (narrow), else dp (wide).
    const int width = dp <= 32 ? 32 : dp <= VQT_BK ? VQT_BK : dp;
    const int smem = 4 * VQT_BM * (width + 4) + 4 * vqt_es_words(width <= VQT_BK ? 2 : 4) + 4 * VQT_BM + 8 * VQT_BM;
    auto search = width == 32 ? vq_nearest_tc_search32 : width == VQT_BK ? vq_nearest_tc_search : vq_nearest_tc_search_wide;
    CK(cudaFuncSetAttribute(search, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
    auto tc = [&](int s, cudaStream_t st) {
        cudaMemsetAsync(count, 0, 4, st);
        vq_nearest_codebook_norms<<<(k + 7) / 8, 256, 0, st>>>(e, norms, status, k, d);
        search<<<(n + VQT_BM - 1) / VQT_BM, VQT_THREADS, smem, st>>>(
            z[s], e, norms, idx[s], nullptr, zq[s], list, count, status, n, spatial, d, k);
        const int grid = std::max(1, std::min((n + VQT_FB_VECS - 1) / VQT_FB_VECS, 4 * prop.multiProcessorCount));
        vq_nearest_tc_fallback<<<grid, VQT_THREADS, 4 * VQT_FB_VECS * d, st>>>(
            z[s], e, norms, list, count, idx[s], nullptr, zq[s], n, spatial, d, k);
    };

    // Reference: the FP32 search, one split.
    int* ridx; float* pv; int* pi;
    CK(cudaMalloc(&ridx, 4 * (size_t)n)); CK(cudaMalloc(&pv, 4 * (size_t)n)); CK(cudaMalloc(&pi, 4 * (size_t)n));
    vq_nearest_codebook_norms<<<(k + 7) / 8, 256>>>(e, norms, status, k, d);
    vq_nearest_argmin<<<dim3((n + VQN_BM - 1) / VQN_BM, 1), VQN_THREADS>>>(z[0], e, norms, pv, pi, status, n, spatial, d, k, (k + VQN_BN - 1) / VQN_BN);
    vq_nearest_finalize<<<(n + 255) / 256, 256>>>(z[0], e, pv, pi, ridx, nullptr, nullptr, n, spatial, d, k, 1);
    tc(0, 0);
    CK(cudaDeviceSynchronize());
    std::vector<int> a(n), b(n), hc(1);
    std::vector<float> hzq((size_t)n * d);
    CK(cudaMemcpy(a.data(), ridx, 4 * (size_t)n, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(b.data(), idx[0], 4 * (size_t)n, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(hc.data(), count, 4, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(hzq.data(), zq[0], zb, cudaMemcpyDeviceToHost));
    long bad = 0, badq = 0;
    for (int i = 0; i < n; ++i) {
        if (a[i] != b[i]) { if (bad < 5) fprintf(stderr, "n=%d fp32 %d tc %d\n", i, a[i], b[i]); ++bad; }
        const int bb = i / spatial, sp = i % spatial;
        for (int c = 0; c < d; ++c) {
            const float v = hzq[((size_t)bb * d + c) * spatial + sp];
            if (b[i] < 0 || b[i] >= k || memcmp(&v, &he[(size_t)b[i] * d + c], 4) != 0) { ++badq; break; }
        }
    }

    cudaEvent_t t0, t1; CK(cudaEventCreate(&t0)); CK(cudaEventCreate(&t1));
    for (int i = 0; i < 5; ++i) tc(i % sets, 0);
    std::vector<float> ms;
    for (int i = 0; i < reps; ++i) {
        CK(cudaEventRecord(t0)); tc(i % sets, 0); CK(cudaEventRecord(t1)); CK(cudaEventSynchronize(t1));
        float t; CK(cudaEventElapsedTime(&t, t0, t1)); ms.push_back(t);
    }
    std::sort(ms.begin(), ms.end());
    const double med = ms[ms.size() / 2];
    const double flops = 2.0 * n * k * dp, bytes = 8.0 * n * d + 4.0 * n + 4.0 * k * d;
    printf("N=%d D=%d K=%d %s %s: median %.4f ms (min %.4f) | %.1f TFLOP/s | %.2f TB/s | uncertified %d (%.3f%%) | "
           "index mismatches %ld | zq mismatches %ld | %s\n",
           n, d, k, nchw ? "nchw" : "rows", small ? "small-codebook" : "normal-codebook", med, ms[0],
           flops / med / 1e9, bytes / med / 1e9, hc[0], 100.0 * hc[0] / n, bad, badq, bad || badq ? "FAIL" : "ok");
    return bad || badq ? 1 : 0;
}
