package io.vq4j.cuda.ffm;

import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The cuDNN functions vq4j calls (the legacy API, deprecated but present in cuDNN 9 and
 * exported by the libcudnn.so.9 shim), as {@code static final} downcall handles, and nothing
 * else. Its own lazy holder: the library is loaded the first time anything here is touched, and
 * never throws while doing so (see {@link NativeLibrary}).
 *
 * <p>Mapping from cudnn_graph.h / cudnn_ops.h / cudnn_cnn.h (cuDNN 9.14): {@code cudnnStatus_t}
 * and the enums are {@code int}; {@code size_t} is {@code long}; {@code double} is {@code double};
 * every pointer (handle, descriptors, host out-params and scalars, device data) is an ADDRESS.
 * Field names are the C names.
 */
final class CudnnFunctions {
    private CudnnFunctions() {}

    static final NativeLibrary LIBRARY = NativeLibrary.load(LibrarySpec.CUDNN);

    // ---- library and handle (cudnn_graph.h) -------------------------------------------------

    /** size_t cudnnGetVersion(void) */
    static final MethodHandle cudnnGetVersion = LIBRARY.downcall("cudnnGetVersion",
            FunctionDescriptor.of(JAVA_LONG));

    /** const char* cudnnGetErrorString(cudnnStatus_t status) */
    static final MethodHandle cudnnGetErrorString = LIBRARY.downcall("cudnnGetErrorString",
            FunctionDescriptor.of(ADDRESS, JAVA_INT));

    /** cudnnStatus_t cudnnCreate(cudnnHandle_t* handle) */
    static final MethodHandle cudnnCreate = LIBRARY.downcall("cudnnCreate",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));

    /** cudnnStatus_t cudnnDestroy(cudnnHandle_t handle) */
    static final MethodHandle cudnnDestroy = LIBRARY.downcall("cudnnDestroy",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));

    /** cudnnStatus_t cudnnSetStream(cudnnHandle_t handle, cudaStream_t streamId) */
    static final MethodHandle cudnnSetStream = LIBRARY.downcall("cudnnSetStream",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));

    // ---- tensor and filter descriptors (cudnn_ops.h) ----------------------------------------

    /** cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t* tensorDesc) */
    static final MethodHandle cudnnCreateTensorDescriptor = LIBRARY.downcall("cudnnCreateTensorDescriptor",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));

    /**
     * cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t tensorDesc,
     * cudnnTensorFormat_t format, cudnnDataType_t dataType, int n, int c, int h, int w)
     */
    static final MethodHandle cudnnSetTensor4dDescriptor = LIBRARY.downcall("cudnnSetTensor4dDescriptor",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));

    /** cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t tensorDesc) */
    static final MethodHandle cudnnDestroyTensorDescriptor = LIBRARY.downcall("cudnnDestroyTensorDescriptor",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));

    /** cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t* filterDesc) */
    static final MethodHandle cudnnCreateFilterDescriptor = LIBRARY.downcall("cudnnCreateFilterDescriptor",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));

    /**
     * cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t filterDesc,
     * cudnnDataType_t dataType, cudnnTensorFormat_t format, int k, int c, int h, int w)
     * (note: data type before format, the reverse of the tensor call)
     */
    static final MethodHandle cudnnSetFilter4dDescriptor = LIBRARY.downcall("cudnnSetFilter4dDescriptor",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));

    /** cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t filterDesc) */
    static final MethodHandle cudnnDestroyFilterDescriptor = LIBRARY.downcall("cudnnDestroyFilterDescriptor",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));

    // ---- convolution descriptor (cudnn_cnn.h) -----------------------------------------------

    /** cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t* convDesc) */
    static final MethodHandle cudnnCreateConvolutionDescriptor = LIBRARY.downcall("cudnnCreateConvolutionDescriptor",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));

    /**
     * cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t convDesc,
     * int pad_h, int pad_w, int u, int v, int dilation_h, int dilation_w,
     * cudnnConvolutionMode_t mode, cudnnDataType_t computeType)
     */
    static final MethodHandle cudnnSetConvolution2dDescriptor = LIBRARY.downcall("cudnnSetConvolution2dDescriptor",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                    JAVA_INT, JAVA_INT));

    /** cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t convDesc, cudnnMathType_t mathType) */
    static final MethodHandle cudnnSetConvolutionMathType = LIBRARY.downcall("cudnnSetConvolutionMathType",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));

    /** cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t convDesc) */
    static final MethodHandle cudnnDestroyConvolutionDescriptor = LIBRARY.downcall("cudnnDestroyConvolutionDescriptor",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));

    /**
     * cudnnStatus_t cudnnGetConvolution2dForwardOutputDim(const cudnnConvolutionDescriptor_t convDesc,
     * const cudnnTensorDescriptor_t inputTensorDesc, const cudnnFilterDescriptor_t filterDesc,
     * int* n, int* c, int* h, int* w)
     */
    static final MethodHandle cudnnGetConvolution2dForwardOutputDim = LIBRARY.downcall("cudnnGetConvolution2dForwardOutputDim",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));

    // ---- algorithm search and workspace sizes (cudnn_cnn.h) ---------------------------------

    /**
     * cudnnStatus_t cudnnFindConvolutionForwardAlgorithmEx(cudnnHandle_t handle,
     * const cudnnTensorDescriptor_t xDesc, const void* x, const cudnnFilterDescriptor_t wDesc,
     * const void* w, const cudnnConvolutionDescriptor_t convDesc,
     * const cudnnTensorDescriptor_t yDesc, void* y, const int requestedAlgoCount,
     * int* returnedAlgoCount, cudnnConvolutionFwdAlgoPerf_t* perfResults, void* workSpace,
     * size_t workSpaceSizeInBytes)
     */
    static final MethodHandle cudnnFindConvolutionForwardAlgorithmEx = LIBRARY.downcall("cudnnFindConvolutionForwardAlgorithmEx",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                    JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));

    /**
     * cudnnStatus_t cudnnFindConvolutionBackwardDataAlgorithmEx(cudnnHandle_t handle,
     * const cudnnFilterDescriptor_t wDesc, const void* w, const cudnnTensorDescriptor_t dyDesc,
     * const void* dy, const cudnnConvolutionDescriptor_t convDesc,
     * const cudnnTensorDescriptor_t dxDesc, void* dx, const int requestedAlgoCount,
     * int* returnedAlgoCount, cudnnConvolutionBwdDataAlgoPerf_t* perfResults, void* workSpace,
     * size_t workSpaceSizeInBytes)
     */
    static final MethodHandle cudnnFindConvolutionBackwardDataAlgorithmEx = LIBRARY.downcall("cudnnFindConvolutionBackwardDataAlgorithmEx",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                    JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));

    /**
     * cudnnStatus_t cudnnFindConvolutionBackwardFilterAlgorithmEx(cudnnHandle_t handle,
     * const cudnnTensorDescriptor_t xDesc, const void* x, const cudnnTensorDescriptor_t dyDesc,
     * const void* y, const cudnnConvolutionDescriptor_t convDesc,
     * const cudnnFilterDescriptor_t dwDesc, void* dw, const int requestedAlgoCount,
     * int* returnedAlgoCount, cudnnConvolutionBwdFilterAlgoPerf_t* perfResults, void* workSpace,
     * size_t workSpaceSizeInBytes)
     */
    static final MethodHandle cudnnFindConvolutionBackwardFilterAlgorithmEx = LIBRARY.downcall("cudnnFindConvolutionBackwardFilterAlgorithmEx",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                    JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));

    /**
     * cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(cudnnHandle_t handle,
     * const cudnnTensorDescriptor_t xDesc, const cudnnFilterDescriptor_t wDesc,
     * const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t yDesc,
     * cudnnConvolutionFwdAlgo_t algo, size_t* sizeInBytes)
     */
    static final MethodHandle cudnnGetConvolutionForwardWorkspaceSize = LIBRARY.downcall("cudnnGetConvolutionForwardWorkspaceSize",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));

    /**
     * cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(cudnnHandle_t handle,
     * const cudnnFilterDescriptor_t wDesc, const cudnnTensorDescriptor_t dyDesc,
     * const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t dxDesc,
     * cudnnConvolutionBwdDataAlgo_t algo, size_t* sizeInBytes)
     */
    static final MethodHandle cudnnGetConvolutionBackwardDataWorkspaceSize = LIBRARY.downcall("cudnnGetConvolutionBackwardDataWorkspaceSize",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));

    /**
     * cudnnStatus_t cudnnGetConvolutionBackwardFilterWorkspaceSize(cudnnHandle_t handle,
     * const cudnnTensorDescriptor_t xDesc, const cudnnTensorDescriptor_t dyDesc,
     * const cudnnConvolutionDescriptor_t convDesc, const cudnnFilterDescriptor_t gradDesc,
     * cudnnConvolutionBwdFilterAlgo_t algo, size_t* sizeInBytes)
     */
    static final MethodHandle cudnnGetConvolutionBackwardFilterWorkspaceSize = LIBRARY.downcall("cudnnGetConvolutionBackwardFilterWorkspaceSize",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));

    // ---- convolutions (cudnn_cnn.h) ---------------------------------------------------------

    /**
     * cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t handle, const void* alpha,
     * const cudnnTensorDescriptor_t xDesc, const void* x, const cudnnFilterDescriptor_t wDesc,
     * const void* w, const cudnnConvolutionDescriptor_t convDesc, cudnnConvolutionFwdAlgo_t algo,
     * void* workSpace, size_t workSpaceSizeInBytes, const void* beta,
     * const cudnnTensorDescriptor_t yDesc, void* y)
     */
    static final MethodHandle cudnnConvolutionForward = LIBRARY.downcall("cudnnConvolutionForward",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                    JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS));

    /**
     * cudnnStatus_t cudnnConvolutionBackwardData(cudnnHandle_t handle, const void* alpha,
     * const cudnnFilterDescriptor_t wDesc, const void* w, const cudnnTensorDescriptor_t dyDesc,
     * const void* dy, const cudnnConvolutionDescriptor_t convDesc,
     * cudnnConvolutionBwdDataAlgo_t algo, void* workSpace, size_t workSpaceSizeInBytes,
     * const void* beta, const cudnnTensorDescriptor_t dxDesc, void* dx)
     */
    static final MethodHandle cudnnConvolutionBackwardData = LIBRARY.downcall("cudnnConvolutionBackwardData",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                    JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS));

    /**
     * cudnnStatus_t cudnnConvolutionBackwardFilter(cudnnHandle_t handle, const void* alpha,
     * const cudnnTensorDescriptor_t xDesc, const void* x, const cudnnTensorDescriptor_t dyDesc,
     * const void* dy, const cudnnConvolutionDescriptor_t convDesc,
     * cudnnConvolutionBwdFilterAlgo_t algo, void* workSpace, size_t workSpaceSizeInBytes,
     * const void* beta, const cudnnFilterDescriptor_t dwDesc, void* dw)
     */
    static final MethodHandle cudnnConvolutionBackwardFilter = LIBRARY.downcall("cudnnConvolutionBackwardFilter",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                    JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS));

    // ---- tensor arithmetic and batch norm (cudnn_ops.h) -------------------------------------

    /**
     * cudnnStatus_t cudnnAddTensor(cudnnHandle_t handle, const void* alpha,
     * const cudnnTensorDescriptor_t aDesc, const void* A, const void* beta,
     * const cudnnTensorDescriptor_t cDesc, void* C)
     */
    static final MethodHandle cudnnAddTensor = LIBRARY.downcall("cudnnAddTensor",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));

    /**
     * cudnnStatus_t cudnnDeriveBNTensorDescriptor(cudnnTensorDescriptor_t derivedBnDesc,
     * const cudnnTensorDescriptor_t xDesc, cudnnBatchNormMode_t mode)
     */
    static final MethodHandle cudnnDeriveBNTensorDescriptor = LIBRARY.downcall("cudnnDeriveBNTensorDescriptor",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));

    /**
     * cudnnStatus_t cudnnBatchNormalizationForwardInference(cudnnHandle_t handle,
     * cudnnBatchNormMode_t mode, const void* alpha, const void* beta,
     * const cudnnTensorDescriptor_t xDesc, const void* x, const cudnnTensorDescriptor_t yDesc,
     * void* y, const cudnnTensorDescriptor_t bnScaleBiasMeanVarDesc, const void* bnScale,
     * const void* bnBias, const void* estimatedMean, const void* estimatedVariance, double epsilon)
     */
    static final MethodHandle cudnnBatchNormalizationForwardInference = LIBRARY.downcall("cudnnBatchNormalizationForwardInference",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                    ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_DOUBLE));
}
