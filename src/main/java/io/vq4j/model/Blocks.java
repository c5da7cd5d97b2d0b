package io.vq4j.model;

import io.vq4j.nn.Backend;
import io.vq4j.nn.BatchNorm2d;
import io.vq4j.nn.Conv2d;
import io.vq4j.nn.ConvTranspose2d;
import io.vq4j.nn.Init;
import io.vq4j.nn.Layer;
import io.vq4j.nn.LeakyReLU;
import io.vq4j.nn.Linear;
import io.vq4j.nn.ReLU;
import io.vq4j.nn.Sequential;
import io.vq4j.nn.Sigmoid;
import io.vq4j.nn.Tanh;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The layer stacks of the model contract (benchmarks/pytorch/models.py), built in contract order
 * so the Sequential indices are the PyTorch keys. Each builder frees what it made if a later layer
 * fails to build.
 */
final class Blocks {
    private Blocks() {}

    static final float SLOPE = 0.2f;

    /** Collects layers; on failure closes them all. */
    private static final class Stack {
        private final List<Layer> layers = new ArrayList<>();

        Stack add(Supplier<Layer> make) {
            layers.add(make.get());
            return this;
        }

        Sequential build(Backend b) { return new Sequential(b, layers.toArray(Layer[]::new)); }

        void closeAll() { for (Layer l : layers) l.close(); }
    }

    private static Sequential build(Backend b, java.util.function.Consumer<Stack> body) {
        Stack s = new Stack();
        try {
            body.accept(s);
            return s.build(b);
        } catch (RuntimeException e) {
            s.closeAll();
            throw e;
        }
    }

    /**
     * Conv2d(C, h1, 3, 2, 1), BN, LeakyReLU(0.2), likewise to h2 and h3 (encoder.0 .. encoder.8),
     * then Conv2d(h3, outD, 1) (encoder.9) when {@code outD > 0}.
     */
    static Sequential encoder(Backend b, Init init, int in, List<Integer> hidden, int outD) {
        return build(b, s -> {
            int c = in;
            for (int h : hidden) {
                int from = c;
                s.add(() -> new Conv2d(b, init, from, h, 3, 2, 1))
                        .add(() -> new BatchNorm2d(b, h))
                        .add(() -> new LeakyReLU(b, SLOPE));
                c = h;
            }
            int last = c;
            if (outD > 0) s.add(() -> new Conv2d(b, init, last, outD, 1));
        });
    }

    /**
     * ConvTranspose2d(latent, h3, 1) (decoder.0), then ConvTranspose2d(3, 2, 1, 1), BN, LeakyReLU(0.2)
     * up through h2, h1 to C (decoder.1 .. decoder.9), then Tanh (decoder.10).
     */
    static Sequential decoder(Backend b, Init init, int latent, List<Integer> hidden, int out) {
        return build(b, s -> {
            int top = hidden.get(hidden.size() - 1);
            s.add(() -> new ConvTranspose2d(b, init, latent, top, 1));
            int c = top;
            for (int i = hidden.size() - 2; i >= -1; i--) {
                int from = c, to = i >= 0 ? hidden.get(i) : out;
                s.add(() -> new ConvTranspose2d(b, init, from, to, 3, 2, 1, 1))
                        .add(() -> new BatchNorm2d(b, to))
                        .add(() -> new LeakyReLU(b, SLOPE));
                c = to;
            }
            s.add(() -> new Tanh(b));
        });
    }

    /** Linear/ReLU pairs through {@code widths[0] -> widths[1] -> ...}, no activation after the last. */
    static Sequential mlp(Backend b, Init init, boolean sigmoidOut, boolean reluOut, int... widths) {
        return build(b, s -> {
            for (int i = 0; i + 1 < widths.length; i++) {
                int from = widths[i], to = widths[i + 1];
                s.add(() -> new Linear(b, init, from, to));
                if (i + 2 < widths.length || reluOut) s.add(() -> new ReLU(b));
            }
            if (sigmoidOut) s.add(() -> new Sigmoid(b));
        });
    }

    /** A config's hidden widths: exactly three, each >= 1. */
    static List<Integer> hidden(List<Integer> hidden) {
        if (hidden == null || hidden.size() != 3 || hidden.stream().anyMatch(h -> h == null || h < 1)) {
            throw new IllegalArgumentException("hidden must be three widths >= 1 (e.g. [64, 128, 256]), got " + hidden);
        }
        return List.copyOf(hidden);
    }

    /** An image batch [B, C, H, W] with C = {@code channels} and H, W divisible by 8 (three stride-2 stages). */
    static void checkImages(String model, io.vq4j.ops.Tensor x, int channels) {
        if (x == null) throw new IllegalArgumentException(model + ": x must not be null");
        if (x.rank() != 4 || x.dim(1) != channels || x.dim(0) < 1 || x.dim(2) < 8 || x.dim(3) < 8
                || x.dim(2) % 8 != 0 || x.dim(3) % 8 != 0) {
            throw new IllegalArgumentException(model + ": x must be [B, " + channels
                    + ", H, W] with H and W positive multiples of 8, got " + x.shapeString());
        }
    }

    /** A row batch [B, features]. */
    static void checkRows(String model, io.vq4j.ops.Tensor x, int features) {
        if (x == null) throw new IllegalArgumentException(model + ": x must not be null");
        if (x.rank() != 2 || x.dim(1) != features || x.dim(0) < 1) {
            throw new IllegalArgumentException(model + ": x must be [B, " + features + "], got " + x.shapeString());
        }
    }
}
