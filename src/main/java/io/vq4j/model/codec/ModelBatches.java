package io.vq4j.model.codec;

import io.vq4j.model.ModelSpec;
import io.vq4j.model.VqAutoencoder;
import io.vq4j.nn.Backend;
import io.vq4j.ops.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The real {@link BatchModel}: stacks the requests into one host batch, moves it to the backend,
 * runs the model's encode or decode once, and splits the host copy of the result. Every tensor it
 * makes is closed on every path, so a batch leaves no device memory behind (the pool keeps it).
 */
final class ModelBatches implements BatchModel {
    private final VqAutoencoder model;
    private final ModelSpec spec;
    private final Backend backend;
    private final boolean uploads;
    private final int imageSize;
    private final int[] grid;
    private final int codesPerImage;

    /** {@code grid}: the code grid of one image ([h, w], or [1] for the MLP). */
    ModelBatches(VqAutoencoder model, ModelSpec spec, Backend backend, int[] grid) {
        this.model = model;
        this.spec = spec;
        this.backend = backend;
        // the CPU backend computes on host tensors as they are; the others need a copy in their memory
        this.uploads = !"cpu".equals(backend.name());
        this.imageSize = spec.channels() * spec.height() * spec.width();
        this.grid = grid.clone();
        this.codesPerImage = (int) Tensor.numel(grid);
    }

    @Override
    public List<int[]> encode(List<float[]> images) {
        int b = images.size(), n = imageSize;
        float[] x = new float[b * n];
        for (int i = 0; i < b; i++) System.arraycopy(images.get(i), 0, x, i * n, n);
        int[] codes;
        try (Tensor in = toBackend(Tensor.of(x, spec.batchShape(b))); Tensor idx = model.encode(in)) {
            codes = idx.toIntArray();
        }
        int g = codesPerImage;
        if (codes.length != b * g) {
            throw new IllegalStateException("model gave " + codes.length + " codes for " + b + " images of " + g);
        }
        List<int[]> out = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            int[] c = new int[g];
            System.arraycopy(codes, i * g, c, 0, g);
            out.add(c);
        }
        return out;
    }

    @Override
    public List<float[]> decode(List<int[]> codes) {
        int b = codes.size(), g = codesPerImage, n = imageSize;
        int[] idx = new int[b * g];
        for (int i = 0; i < b; i++) System.arraycopy(codes.get(i), 0, idx, i * g, g);
        Tensor host = grid.length == 2 ? Tensor.ofInts(idx, b, grid[0], grid[1]) : Tensor.ofInts(idx, b);
        float[] y;
        try (Tensor in = toBackend(host); Tensor images = model.decode(in)) {
            y = images.toFloatArray();
        }
        if (y.length != b * n) {
            throw new IllegalStateException("model gave " + y.length + " values for " + b + " images of " + n);
        }
        boolean signed = spec.kind().signedInputs();
        List<float[]> out = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            float[] img = new float[n];
            if (signed) Pixels.fromSigned(y, i * n, img);
            else Pixels.clamp(y, i * n, img);
            out.add(img);
        }
        return out;
    }

    private Tensor toBackend(Tensor host) { return uploads ? backend.ops().upload(host) : host; }
}
