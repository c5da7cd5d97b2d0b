package io.vq4j.cuda.ffm;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One entry of the results cudnnFind*AlgorithmEx writes. cudnnConvolutionFwdAlgoPerf_t,
 * ...BwdDataAlgoPerf_t and ...BwdFilterAlgoPerf_t share one layout (cudnn_cnn.h):
 * <pre>
 *   int algo; int status; float time; [4 bytes padding] size_t memory;
 *   int determinism; int mathType; int reserved[3]; [4 bytes padding]   -> 48 bytes, 8-aligned
 * </pre>
 */
record ConvAlgoPerf(int algo, int status, float timeMs, long memory, int determinism, int mathType) {

    static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_INT.withName("algo"),
            JAVA_INT.withName("status"),
            JAVA_FLOAT.withName("time"),
            MemoryLayout.paddingLayout(4),
            JAVA_LONG.withName("memory"),
            JAVA_INT.withName("determinism"),
            JAVA_INT.withName("mathType"),
            MemoryLayout.sequenceLayout(3, JAVA_INT).withName("reserved"),
            MemoryLayout.paddingLayout(4));

    private static final long ALGO = LAYOUT.byteOffset(groupElement("algo"));
    private static final long STATUS = LAYOUT.byteOffset(groupElement("status"));
    private static final long TIME = LAYOUT.byteOffset(groupElement("time"));
    private static final long MEMORY = LAYOUT.byteOffset(groupElement("memory"));
    private static final long DETERMINISM = LAYOUT.byteOffset(groupElement("determinism"));
    private static final long MATH_TYPE = LAYOUT.byteOffset(groupElement("mathType"));

    /** The first {@code count} entries of {@code results}, in cuDNN's order (fastest first). */
    static List<ConvAlgoPerf> read(MemorySegment results, int count) {
        long capacity = results.byteSize() / LAYOUT.byteSize();
        if (count < 0 || count > capacity) {
            throw new IllegalStateException("cuDNN returned " + count + " algorithm results for room of " + capacity);
        }
        List<ConvAlgoPerf> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            MemorySegment e = results.asSlice(i * LAYOUT.byteSize(), LAYOUT.byteSize());
            out.add(new ConvAlgoPerf(e.get(JAVA_INT, ALGO), e.get(JAVA_INT, STATUS), e.get(JAVA_FLOAT, TIME),
                    e.get(JAVA_LONG, MEMORY), e.get(JAVA_INT, DETERMINISM), e.get(JAVA_INT, MATH_TYPE)));
        }
        return out;
    }

    /** The fastest entry that ran (status SUCCESS) within {@code workspaceLimit} bytes. */
    static Optional<ConvAlgoPerf> best(List<ConvAlgoPerf> perfs, long workspaceLimit) {
        for (ConvAlgoPerf p : perfs) {
            if (p.status == CudnnCheck.CUDNN_STATUS_SUCCESS && p.memory >= 0 && p.memory <= workspaceLimit) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
