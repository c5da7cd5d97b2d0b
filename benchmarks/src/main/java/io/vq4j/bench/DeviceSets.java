package io.vq4j.bench;

import io.vq4j.ops.CudaOps;
import io.vq4j.ops.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Input sets on the device that the timed runs rotate among (run i uses set i mod size), so the
 * 50 MB L2 cannot hold the inputs from one run to the next. Owns every tensor it made: closing it
 * frees them all, and a failure half-way through making the sets frees what was made.
 */
final class DeviceSets implements AutoCloseable {
    /** Makes set {@code s}, adding each tensor to {@code out} as soon as it exists. */
    @FunctionalInterface
    interface Maker {
        void make(int s, List<Tensor> out);
    }

    private final List<List<Tensor>> sets = new ArrayList<>();

    private DeviceSets() {}

    static DeviceSets make(int count, Maker maker) {
        DeviceSets ds = new DeviceSets();
        try {
            for (int s = 0; s < count; s++) {
                List<Tensor> set = new ArrayList<>();
                ds.sets.add(set); // before filling, so close() sees a half-made set
                maker.make(s, set);
            }
            return ds;
        } catch (RuntimeException | Error e) {
            ds.close();
            throw e;
        }
    }

    /**
     * How many sets to make: bench_ops.py's rotation count for an op moving {@code opBytes},
     * reduced (to 1 at least) so the sets take at most half of the free device memory.
     */
    static int count(CudaOps gpu, long opBytes, long setBytes) {
        long free = gpu.runtime().context().memoryInfo()[0];
        long fit = free / 2 / Math.max(1, setBytes);
        return (int) Math.max(1, Math.min(Workload.rotations(opBytes), fit));
    }

    int size() { return sets.size(); }

    /** The tensors of set {@code i mod size()}. */
    Tensor[] get(int i) {
        return sets.get(Math.floorMod(i, sets.size())).toArray(new Tensor[0]);
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (List<Tensor> set : sets) {
            for (Tensor t : set) {
                try {
                    t.close();
                } catch (RuntimeException e) {
                    if (first == null) first = e; else first.addSuppressed(e);
                }
            }
        }
        sets.clear();
        if (first != null) throw first;
    }
}
