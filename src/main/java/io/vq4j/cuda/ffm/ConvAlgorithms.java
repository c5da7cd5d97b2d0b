package io.vq4j.cuda.ffm;

import io.vq4j.cuda.CudaException;
import io.vq4j.cuda.CudaStream;
import io.vq4j.cuda.DeviceBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The convolution algorithm chooser of one {@link CudnnHandle}: the first time a (direction,
 * shapes, convolution settings) key is seen, cudnnFind*AlgorithmEx times every algorithm on the
 * real data and the fastest that ran within the workspace limit is cached; later calls with the
 * same key reuse it without searching. Not thread-safe: its handle serialises calls.
 *
 * <p>The search's workspace is the largest any algorithm asks for (cudnnGet*WorkspaceSize),
 * capped at {@link #maxWorkspaceBytes()} ({@code -Dvq4j.cudnn.maxWorkspaceBytes}, default 256 MiB),
 * in a temporary buffer freed right after, so one FFT algorithm's appetite during the search does
 * not stay in the handle's workspace. If that allocation runs out of memory the search goes on
 * with no workspace (only algorithms that need none can win). Find*Ex writes the output tensor;
 * when the caller accumulates into it (beta != 0) the search writes a scratch copy instead.
 */
final class ConvAlgorithms {

    /** The three convolution passes; the count is the number of algorithms cuDNN has for each. */
    enum Direction {
        FORWARD(8), BACKWARD_DATA(6), BACKWARD_FILTER(7); // CUDNN_CONVOLUTION_*_ALGO_COUNT

        final int algoCount;

        Direction(int algoCount) { this.algoCount = algoCount; }
    }

    /**
     * What an algorithm choice depends on. x is the forward input (dx for BACKWARD_DATA),
     * w the filter (dw for BACKWARD_FILTER), y the forward output (dy for the backward passes).
     */
    record Key(Direction direction, Dims4 x, Dims4 w, Dims4 y, ConvolutionDescriptor.Params conv) {
        @Override
        public String toString() {
            return direction + " x=" + x + " w=" + w + " y=" + y + " " + conv;
        }
    }

    /** The chosen algorithm, the math type to run it under and the workspace it needs. */
    record Choice(int algo, CudnnMathType mathType, long workspaceBytes) {}

    /** cudnnGet*WorkspaceSize for one algorithm: returns its status, writes the size to {@code sizeOut}. */
    @FunctionalInterface
    interface WorkspaceQuery {
        int query(int algo, MemorySegment sizeOut) throws Throwable;
    }

    /** cudnnFind*AlgorithmEx with the output pointer, result array and workspace filled in. */
    @FunctionalInterface
    interface FindCall {
        int find(MemorySegment output, int requested, MemorySegment returned, MemorySegment results,
                 MemorySegment workspace, long workspaceBytes) throws Throwable;
    }

    static final long DEFAULT_MAX_WORKSPACE = 256L << 20;

    private final Map<Key, Choice> cache = new HashMap<>();

    /** The cached choice for {@code key}, searching once with {@code search} if there is none. */
    Choice choose(Key key, Supplier<Choice> search) {
        Choice c = cache.get(key);
        if (c == null) {
            c = search.get(); // a failed search caches nothing: the next call tries again
            cache.put(key, c);
        }
        return c;
    }

    /** Number of keys searched so far. */
    int size() {
        return cache.size();
    }

    static long maxWorkspaceBytes() {
        long v = Long.getLong("vq4j.cudnn.maxWorkspaceBytes", DEFAULT_MAX_WORKSPACE);
        return Math.max(0, v);
    }

    /**
     * Runs one search.
     *
     * @param call the Find function and key, for messages
     * @param requested the math type the convolution descriptor asks for
     * @param output the real output's device address
     * @param outputBytes its size
     * @param outputMayBeClobbered true when the caller overwrites the output anyway (beta == 0)
     */
    static Choice search(Key key, String call, CudaStream stream, CudnnMathType requested,
                         long output, long outputBytes, boolean outputMayBeClobbered,
                         WorkspaceQuery sizes, FindCall find) {
        long wanted = largestWorkspace(key.direction(), sizes);
        long limit = Math.min(wanted, maxWorkspaceBytes());
        try (DeviceBuffer ws = allocateOrNull(stream, limit);
             DeviceBuffer scratch = outputMayBeClobbered ? null : new DeviceBuffer(stream, outputBytes);
             Arena arena = Arena.ofConfined()) {
            long wsBytes = ws == null ? 0 : ws.bytes();
            MemorySegment wsPtr = ws == null ? MemorySegment.NULL : MemorySegment.ofAddress(ws.address());
            MemorySegment out = MemorySegment.ofAddress(scratch == null ? output : scratch.address());
            int n = key.direction().algoCount;
            MemorySegment returned = arena.allocate(JAVA_INT);
            MemorySegment results = arena.allocate(ConvAlgoPerf.LAYOUT, n);
            CudnnCheck.call(call + "(" + key + ")", () -> find.find(out, n, returned, results, wsPtr, wsBytes));
            List<ConvAlgoPerf> perfs = ConvAlgoPerf.read(results, returned.get(JAVA_INT, 0));
            ConvAlgoPerf best = ConvAlgoPerf.best(perfs, wsBytes).orElseThrow(() -> new IllegalStateException(
                    call + " found no algorithm that runs within " + wsBytes + " bytes of workspace for " + key
                            + "; results: " + perfs));
            return new Choice(best.algo(), runUnder(requested, best.mathType()), best.memory());
        }
    }

    /** FMA (full FP32) is a promise and is kept; otherwise run under the math type the algorithm was timed with. */
    static CudnnMathType runUnder(CudnnMathType requested, int measured) {
        if (requested == CudnnMathType.FMA) return requested;
        CudnnMathType m = CudnnMathType.of(measured);
        return m == null ? requested : m;
    }

    /** The most workspace any algorithm of this direction asks for; algorithms that do not apply are skipped. */
    private static long largestWorkspace(Direction direction, WorkspaceQuery sizes) {
        long wanted = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment size = arena.allocate(JAVA_LONG);
            for (int algo = 0; algo < direction.algoCount; algo++) {
                int a = algo;
                size.set(JAVA_LONG, 0, 0);
                // a non-success status means "this algorithm does not support these shapes": an answer, not an error
                if (CudnnCheck.invoke(() -> sizes.query(a, size)) == CudnnCheck.CUDNN_STATUS_SUCCESS) {
                    wanted = Math.max(wanted, size.get(JAVA_LONG, 0));
                }
            }
        }
        return wanted;
    }

    private static DeviceBuffer allocateOrNull(CudaStream stream, long bytes) {
        if (bytes <= 0) return null;
        try {
            return new DeviceBuffer(stream, bytes);
        } catch (CudaException e) {
            if (e.isOutOfMemory()) return null;
            throw e;
        }
    }
}
