package io.vq4j.ops;

/** A loss value (F32 {@code [1]}, still on the backend's memory) and its gradient for the prediction. */
public record LossAndGrad(Tensor value, Tensor grad) implements AutoCloseable {
    /** Reads the value (synchronizes with the device). */
    public double read() { return value.item(); }

    @Override
    public void close() {
        value.close();
        if (grad != null) grad.close();
    }
}
