package io.vq4j.cuda.ffm;

/**
 * The body of one native call that returns a status: usually
 * {@code () -> (int) SOME_FUNCTION.invokeExact(args...)}. Lets {@link CublasCheck} and
 * {@link CudnnCheck} own both the Throwable plumbing of invokeExact and the status check.
 */
@FunctionalInterface
interface NativeCall {
    int invoke() throws Throwable;
}
