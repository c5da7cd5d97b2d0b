package io.vq4j.cuda.ffm;

import java.nio.file.Path;

/**
 * One place a library may be loaded from: a file path, or a bare soname that the dynamic loader
 * resolves (LD_LIBRARY_PATH, the ld.so cache, the default folders).
 *
 * @param target the path or the soname
 * @param isPath true for a file path, false for a soname handed to the loader
 * @param origin why this place is tried, for messages ("-Dvq4j.cublas", "dynamic loader", ...)
 */
public record LibraryCandidate(String target, boolean isPath, String origin) {

    static LibraryCandidate path(Path file, String origin) {
        return new LibraryCandidate(file.toString(), true, origin);
    }

    static LibraryCandidate soname(String name) {
        return new LibraryCandidate(name, false, "dynamic loader");
    }

    @Override
    public String toString() {
        return target + " (" + origin + ")";
    }
}
