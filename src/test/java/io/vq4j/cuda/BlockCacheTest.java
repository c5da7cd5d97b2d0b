package io.vq4j.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class BlockCacheTest {
    @Test
    void sizeClassesCoverTheRequestWithAtMostAnEighthMoreAboveOneMiB() {
        long[] sizes = {1, 4, 13, 207, 511, 512, 513, 4096, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3_000_000,
                (1L << 30) + 7, 40L << 30};
        for (long b : sizes) {
            long c = BlockCache.sizeClass(b);
            assertTrue(c >= b, b + " -> " + c);
            if (b <= 1 << 20) {
                assertEquals(0, c % 512, b + " -> " + c);
                assertTrue(c - b < 512, b + " -> " + c);
            } else {
                assertTrue(c - b <= b / 8, b + " -> " + c);
            }
            assertEquals(c, BlockCache.sizeClass(c), "a class is its own class: " + c);
        }
    }

    @Test
    void takeReturnsWhatWasPutForTheSameClassOnly() {
        BlockCache cache = new BlockCache();
        DevicePointer a = new DevicePointer(), b = new DevicePointer();
        cache.put(512, a);
        cache.put(1024, b);
        assertEquals(1536, cache.cachedBytes());
        assertNull(cache.take(2048));
        assertSame(b, cache.take(1024));
        assertNull(cache.take(1024));
        assertEquals(512, cache.cachedBytes());
        assertEquals(1, cache.drain().size());
        assertEquals(0, cache.cachedBytes());
        assertNull(cache.take(512));
    }
}
