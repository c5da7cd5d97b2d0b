package io.vq4j.cuda.ffm;

/**
 * cudnnMathType_t. For FP32 data on sm_80+, DEFAULT and TENSOR_OP let cuDNN use TF32 tensor
 * cores (about 10 bits of mantissa in the products); FMA keeps full FP32 arithmetic, as PyTorch
 * does with {@code allow_tf32 = False}.
 */
public enum CudnnMathType {
    DEFAULT(0), TENSOR_OP(1), TENSOR_OP_ALLOW_CONVERSION(2), FMA(3);

    private final int code;

    CudnnMathType(int code) { this.code = code; }

    /** The cudnnMathType_t value. */
    int code() { return code; }

    /** The constant for a cudnnMathType_t value, or null if it is not one we know. */
    static CudnnMathType of(int code) {
        for (CudnnMathType t : values()) if (t.code == code) return t;
        return null;
    }
}
