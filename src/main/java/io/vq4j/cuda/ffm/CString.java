package io.vq4j.cuda.ffm;

import java.lang.foreign.MemorySegment;

/** Reading the NUL-terminated strings that cuBLAS, cuDNN and libc return as {@code const char*}. */
final class CString {
    private CString() {}

    /** The string at {@code ptr} (a zero-length segment from a downcall), or null for NULL. */
    @SuppressWarnings("restricted")
    static String read(MemorySegment ptr) {
        if (ptr == null || MemorySegment.NULL.equals(ptr)) return null;
        // The callee owns the bytes and does not say how many there are: widen the segment and let
        // getString stop at the terminator.
        return ptr.reinterpret(Long.MAX_VALUE).getString(0);
    }
}
