package io.vq4j.cuda.kernels;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The host side of the tensor-core search, no GPU needed: which kernel a D gets, and that its
 * dynamic shared memory matches cuda/vq_nearest_tc.cu's layout and fits the H100's 227 KB opt-in.
 */
class NearestTcKernelsTest {
    @Test
    void narrowKernelsPadToThirtyTwoOrSixtyFourDims() {
        assertEquals("vq_nearest_tc_search32", NearestTcKernels.searchKernel(1));
        assertEquals("vq_nearest_tc_search32", NearestTcKernels.searchKernel(32));
        assertEquals("vq_nearest_tc_search", NearestTcKernels.searchKernel(33));
        assertEquals("vq_nearest_tc_search", NearestTcKernels.searchKernel(64));
        assertEquals("vq_nearest_tc_search_wide", NearestTcKernels.searchKernel(65));
        assertEquals("vq_nearest_tc_search_wide", NearestTcKernels.searchKernel(NearestTcKernels.MAX_D));
        assertEquals(32, NearestTcKernels.tileWidth(13));
        assertEquals(64, NearestTcKernels.tileWidth(40));
        assertEquals(72, NearestTcKernels.tileWidth(65));
    }

    @Test
    void sharedMemoryFollowsTheKernelsLayout() {
        // z tile 128 x (64 + 4) floats, the two 64 x 68 codebook chunks, winners and z offsets
        assertEquals(4 * 128 * 68 + 4 * 2 * 64 * 68 + 4 * 128 + 8 * 128, NearestTcKernels.searchSharedBytes(64));
        // wide: the lists (8 partitions x 4 kept, values and codes) and the re-rank queue outgrow the chunks
        assertEquals(4 * 128 * 260 + 4 * 128 * (2 * 8 * 4 + 2 * 4 + 2) + 4 * 128 + 8 * 128,
                NearestTcKernels.searchSharedBytes(256));
        assertTrue(NearestTcKernels.searchSharedBytes(NearestTcKernels.MAX_D) + 1024 <= 227 * 1024,
                "the widest search must fit the opt-in shared memory with the 1 KB system reserve");
    }
}
