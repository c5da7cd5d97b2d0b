package io.vq4j.cuda.kernels;

import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.CudaCheck;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.JCudaDriver;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The device limits launchers size their grids and shared-memory buffers by (read once from the
 * process's device), and the opt-in to more than 48 KB of dynamic shared memory per block.
 */
final class CodebookDeviceLimits {
    /** Dynamic shared memory every kernel may use without opting in. */
    static final int DEFAULT_DYNAMIC_SHARED = 48 * 1024;

    private static volatile CodebookDeviceLimits limits;
    private static final Set<String> OPTED_IN = ConcurrentHashMap.newKeySet();

    final int multiprocessors;
    /** Largest dynamic + static shared memory one block may opt in to. */
    final int sharedPerBlockOptIn;
    final int sharedPerMultiprocessor;
    /** Shared memory the system reserves per resident block (1 KB on sm_80 and sm_90). */
    final int reservedPerBlock;

    private CodebookDeviceLimits(Cuda.Runtime rt) {
        var ctx = rt.context();
        multiprocessors = ctx.multiprocessorCount();
        sharedPerBlockOptIn = ctx.attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
        sharedPerMultiprocessor = ctx.attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR);
        reservedPerBlock = ctx.attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_RESERVED_SHARED_MEMORY_PER_BLOCK);
    }

    static CodebookDeviceLimits get() {
        CodebookDeviceLimits l = limits;
        if (l == null) {
            synchronized (CodebookDeviceLimits.class) {
                if (limits == null) limits = new CodebookDeviceLimits(Cuda.runtime());
                l = limits;
            }
        }
        return l;
    }

    /**
     * Resident blocks of {@code dynamicBytes} shared memory per multiprocessor (at most
     * {@code maxBlocks}), or 0 when one block cannot have that much.
     */
    int blocksPerMultiprocessor(long dynamicBytes, int maxBlocks) {
        if (dynamicBytes > sharedPerBlockOptIn) return 0;
        long perBlock = dynamicBytes + reservedPerBlock;
        return (int) Math.min(maxBlocks, sharedPerMultiprocessor / perBlock);
    }

    /**
     * Lets {@code kernel} launch with up to the device's opt-in maximum of dynamic shared memory
     * (cuFuncSetAttribute, once per kernel). Always the same value, so concurrent callers agree.
     */
    static void allowLargeDynamicShared(String kernel) {
        if (OPTED_IN.contains(kernel)) return;
        Cuda.Runtime rt = Cuda.runtime();
        CUfunction f = rt.kernels().function(kernel);
        int[] staticBytes = new int[1];
        CudaCheck.check(JCudaDriver.cuFuncGetAttribute(staticBytes, CUfunction_attribute.CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, f),
                "cuFuncGetAttribute(" + kernel + ", SHARED_SIZE_BYTES)");
        int max = get().sharedPerBlockOptIn - staticBytes[0];
        CudaCheck.check(JCudaDriver.cuFuncSetAttribute(f, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, max),
                "cuFuncSetAttribute(" + kernel + ", MAX_DYNAMIC_SHARED_SIZE_BYTES, " + max + ")");
        OPTED_IN.add(kernel);
    }

    /** Blocks for a grid-stride loop over {@code work} items: enough to cover it, at most {@code cap}. */
    static long grid(long work, int block, long cap) {
        return Math.max(1, Math.min((work + block - 1) / block, cap));
    }
}
