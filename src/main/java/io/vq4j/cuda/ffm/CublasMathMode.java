package io.vq4j.cuda.ffm;

/**
 * cublasMath_t values that make sense for FP32 work. DEFAULT keeps SGEMM in full FP32 (no TF32
 * unless NVIDIA_TF32_OVERRIDE says otherwise); TF32_TENSOR_OP trades ~3 decimal digits of the
 * inputs' mantissa for tensor-core speed on sm_80+.
 */
public enum CublasMathMode {
    DEFAULT(0), PEDANTIC(2), TF32_TENSOR_OP(3);

    private final int code;

    CublasMathMode(int code) { this.code = code; }

    /** The cublasMath_t value (CUBLAS_DEFAULT_MATH = 0, CUBLAS_PEDANTIC_MATH = 2, CUBLAS_TF32_TENSOR_OP_MATH = 3). */
    int code() { return code; }
}
