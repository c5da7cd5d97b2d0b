package io.vq4j.data;

import java.util.List;

/** A view of some images of another dataset, in the order of {@code indices}; nothing is copied. */
public final class Subset implements Dataset {
    private final Dataset base;
    private final int[] indices;
    private final String name;

    /**
     * @param base    the dataset viewed
     * @param indices indices into base, each in [0, base.size()); copied
     * @param name    this view's name
     */
    public Subset(Dataset base, int[] indices, String name) {
        if (base == null) throw new IllegalArgumentException("base must not be null");
        if (indices == null) throw new IllegalArgumentException("indices must not be null");
        for (int k = 0; k < indices.length; k++) {
            if (indices[k] < 0 || indices[k] >= base.size()) {
                throw new IllegalArgumentException("indices[" + k + "] = " + indices[k] + " is outside [0, "
                        + base.size() + ") of dataset '" + base.name() + "'");
            }
        }
        this.base = base;
        this.indices = indices.clone();
        this.name = name;
    }

    /** The index in the base dataset of this view's image {@code index}. */
    public int baseIndex(int index) {
        if (index < 0 || index >= indices.length) {
            throw new IllegalArgumentException("index " + index + " is outside [0, " + indices.length + ") of dataset '" + name + "'");
        }
        return indices[index];
    }

    /** A copy of the base indices. */
    public int[] indices() { return indices.clone(); }

    public Dataset base() { return base; }

    @Override public int size() { return indices.length; }
    @Override public int channels() { return base.channels(); }
    @Override public int height() { return base.height(); }
    @Override public int width() { return base.width(); }
    @Override public String name() { return name; }
    @Override public List<String> classNames() { return base.classNames(); }
    @Override public int label(int index) { return base.label(baseIndex(index)); }

    @Override
    public void read(int index, float[] dst, int offset) {
        base.read(baseIndex(index), dst, offset);
    }
}
