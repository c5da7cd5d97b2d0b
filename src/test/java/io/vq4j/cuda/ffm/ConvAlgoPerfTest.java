package io.vq4j.cuda.ffm;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reading cudnnFind*AlgorithmEx's results: entries are written here at the offsets of the C
 * struct in cudnn_cnn.h (algo 0, status 4, time 8, memory 16, determinism 24, mathType 28,
 * 48 bytes apart), independently of the layout object under test.
 */
class ConvAlgoPerfTest {

    private static void write(MemorySegment s, int i, int algo, int status, float time, long memory, int det, int math) {
        long base = 48L * i;
        s.set(JAVA_INT, base, algo);
        s.set(JAVA_INT, base + 4, status);
        s.set(JAVA_FLOAT, base + 8, time);
        s.set(JAVA_LONG, base + 16, memory);
        s.set(JAVA_INT, base + 24, det);
        s.set(JAVA_INT, base + 28, math);
    }

    @Test
    void layoutMatchesTheCStruct() {
        assertEquals(48, ConvAlgoPerf.LAYOUT.byteSize());
        assertEquals(8, ConvAlgoPerf.LAYOUT.byteAlignment());
    }

    @Test
    void readsEntriesAndPicksTheFastestThatRanWithinTheWorkspace() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(ConvAlgoPerf.LAYOUT, 4);
            write(s, 0, 6, 0, 0.10f, 900L << 20, 1, 1);   // fastest, but needs 900 MiB
            write(s, 1, 5, 3000, 0.20f, 0, 0, 0);         // NOT_SUPPORTED
            write(s, 2, 1, 0, 0.30f, 4096, 1, 3);         // fits
            write(s, 3, 0, 0, 0.90f, 0, 1, 0);
            List<ConvAlgoPerf> perfs = ConvAlgoPerf.read(s, 4);
            assertEquals(new ConvAlgoPerf(6, 0, 0.10f, 900L << 20, 1, 1), perfs.get(0));
            assertEquals(new ConvAlgoPerf(1, 0, 0.30f, 4096, 1, 3), perfs.get(2));
            assertEquals(1, ConvAlgoPerf.best(perfs, 256L << 20).orElseThrow().algo());
            assertEquals(6, ConvAlgoPerf.best(perfs, 1L << 30).orElseThrow().algo());
            assertEquals(0, ConvAlgoPerf.best(perfs, 0).orElseThrow().algo());
            assertTrue(ConvAlgoPerf.best(perfs.subList(0, 2), 0).isEmpty());
            assertEquals(2, ConvAlgoPerf.read(s, 2).size()); // only what cuDNN says it returned
            assertThrows(IllegalStateException.class, () -> ConvAlgoPerf.read(s, 5));
        }
    }

    @Test
    void fullFp32IsKeptOtherwiseTheMeasuredMathTypeIsUsed() {
        assertEquals(CudnnMathType.FMA, ConvAlgorithms.runUnder(CudnnMathType.FMA, 1));
        assertEquals(CudnnMathType.TENSOR_OP, ConvAlgorithms.runUnder(CudnnMathType.DEFAULT, 1));
        assertEquals(CudnnMathType.DEFAULT, ConvAlgorithms.runUnder(CudnnMathType.TENSOR_OP, 0));
        assertEquals(CudnnMathType.DEFAULT, ConvAlgorithms.runUnder(CudnnMathType.DEFAULT, 99));
    }

    @Test
    void theCacheSearchesOncePerKey() {
        ConvAlgorithms cache = new ConvAlgorithms();
        ConvolutionDescriptor.Params p = new ConvolutionDescriptor.Params(1, 1, 2, 2, 1, 1, CudnnMathType.FMA);
        ConvAlgorithms.Key k1 = new ConvAlgorithms.Key(ConvAlgorithms.Direction.FORWARD,
                new Dims4(2, 3, 9, 9), new Dims4(4, 3, 3, 3), new Dims4(2, 4, 5, 5), p);
        ConvAlgorithms.Key k1again = new ConvAlgorithms.Key(ConvAlgorithms.Direction.FORWARD,
                new Dims4(2, 3, 9, 9), new Dims4(4, 3, 3, 3), new Dims4(2, 4, 5, 5),
                new ConvolutionDescriptor.Params(1, 1, 2, 2, 1, 1, CudnnMathType.FMA));
        ConvAlgorithms.Key k2 = new ConvAlgorithms.Key(ConvAlgorithms.Direction.BACKWARD_DATA,
                k1.x(), k1.w(), k1.y(), p);
        int[] searches = {0};
        ConvAlgorithms.Choice a = cache.choose(k1, () -> { searches[0]++; return new ConvAlgorithms.Choice(1, CudnnMathType.FMA, 0); });
        ConvAlgorithms.Choice b = cache.choose(k1again, () -> { searches[0]++; return new ConvAlgorithms.Choice(2, CudnnMathType.FMA, 0); });
        assertEquals(a, b);
        assertEquals(1, searches[0]);
        assertThrows(IllegalStateException.class, () -> cache.choose(k2, () -> { throw new IllegalStateException("find failed"); }));
        cache.choose(k2, () -> { searches[0]++; return new ConvAlgorithms.Choice(0, CudnnMathType.FMA, 0); });
        assertEquals(2, searches[0]); // a failed search is not cached
        assertEquals(2, cache.size());
    }

    @Test
    void searchAsksForEveryAlgorithmAndPicksTheFastestThatRan() {
        ConvolutionDescriptor.Params p = new ConvolutionDescriptor.Params(1, 1, 1, 1, 1, 1, CudnnMathType.DEFAULT);
        ConvAlgorithms.Key key = new ConvAlgorithms.Key(ConvAlgorithms.Direction.BACKWARD_FILTER,
                new Dims4(2, 3, 9, 9), new Dims4(4, 3, 3, 3), new Dims4(2, 4, 9, 9), p);
        List<Integer> asked = new java.util.ArrayList<>();
        long[] seen = new long[4];
        // with a workspace limit of 0 nothing is allocated, so no stream is needed
        String old = System.setProperty("vq4j.cudnn.maxWorkspaceBytes", "0");
        try {
            ConvAlgorithms.Choice c = ConvAlgorithms.search(key, "cudnnFindX", null, CudnnMathType.DEFAULT,
                    0xABC000, 648 * 4, true,
                    (algo, size) -> {
                        asked.add(algo);
                        size.set(JAVA_LONG, 0, 1L << 20);
                        return algo == 3 ? 3000 : 0; // algorithm 3 does not apply
                    },
                    (out, n, returned, results, ws, wsBytes) -> {
                        seen[0] = out.address();
                        seen[1] = n;
                        seen[2] = ws.address();
                        seen[3] = wsBytes;
                        write(results, 0, 5, 0, 0.1f, 1L << 20, 1, 1); // fastest, but needs workspace we do not have
                        write(results, 1, 1, 0, 0.2f, 0, 1, 1);        // the winner, measured under TENSOR_OP math
                        write(results, 2, 0, 0, 0.3f, 0, 1, 0);
                        returned.set(JAVA_INT, 0, 3);
                        return 0;
                    });
            assertEquals(List.of(0, 1, 2, 3, 4, 5, 6), asked); // CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT = 7
            assertEquals(0xABC000, seen[0]);                     // beta == 0: the real output is written
            assertEquals(7, seen[1]);
            assertEquals(0, seen[2]);
            assertEquals(0, seen[3]);
            assertEquals(new ConvAlgorithms.Choice(1, CudnnMathType.TENSOR_OP, 0), c);

            IllegalStateException none = assertThrows(IllegalStateException.class, () -> ConvAlgorithms.search(key,
                    "cudnnFindX", null, CudnnMathType.FMA, 0xABC000, 4, true, (algo, size) -> 3000,
                    (out, n, returned, results, ws, wsBytes) -> {
                        write(results, 0, 5, 3000, 0.1f, 0, 1, 3);
                        returned.set(JAVA_INT, 0, 1);
                        return 0;
                    }));
            assertTrue(none.getMessage().contains("cudnnFindX found no algorithm") && none.getMessage().contains("BACKWARD_FILTER"),
                    none.getMessage());
            NativeLibraryException failed = assertThrows(NativeLibraryException.class, () -> ConvAlgorithms.search(key,
                    "cudnnFindX", null, CudnnMathType.FMA, 0xABC000, 4, true, (algo, size) -> 3000,
                    (out, n, returned, results, ws, wsBytes) -> 2000));
            assertEquals("cudnnFindX", failed.function());
        } finally {
            if (old == null) System.clearProperty("vq4j.cudnn.maxWorkspaceBytes");
            else System.setProperty("vq4j.cudnn.maxWorkspaceBytes", old);
        }
    }
}
