package io.vq4j.nn;

import io.vq4j.ops.Tensor;

import java.util.List;

/**
 * PyTorch's {@code nn.Sequential}: children named "0", "1", ...; forward in order, backward in
 * reverse. Its output is the last child's (owned by it) and its input gradient the first child's.
 * To keep memory at what a step needs, eval-mode forwards free each intermediate output once the
 * next child has consumed it, and backward frees each child's input gradient once the child below
 * has consumed it.
 */
public final class Sequential extends Layer {
    private final List<Layer> layers;

    public Sequential(Backend backend, Layer... layers) {
        super(backend);
        if (layers == null || layers.length == 0) throw new IllegalArgumentException("Sequential needs at least one layer");
        this.layers = List.of(layers);
        for (int i = 0; i < layers.length; i++) addChild(Integer.toString(i), layers[i]);
    }

    public int size() { return layers.size(); }

    public Layer get(int i) { return layers.get(i); }

    @Override
    public Tensor forward(Tensor x) {
        ensureOpen();
        Tensor h = x;
        for (int i = 0; i < layers.size(); i++) {
            Tensor next = layers.get(i).forward(h);
            if (!isTraining() && i > 0) layers.get(i - 1).releaseOutput();
            h = next;
        }
        return h;
    }

    @Override
    public Tensor backward(Tensor gradOut) {
        ensureOpen();
        Tensor g = gradOut;
        for (int i = layers.size() - 1; i >= 0; i--) {
            Tensor next = layers.get(i).backward(g);
            if (i < layers.size() - 1) layers.get(i + 1).releaseGradInput();
            g = next;
        }
        return g;
    }

    @Override
    public Tensor takeOutput() { return layers.getLast().takeOutput(); }

    @Override
    public void releaseOutput() { for (Layer l : layers) l.releaseOutput(); }

    @Override
    public void releaseGradInput() { for (Layer l : layers) l.releaseGradInput(); }
}
