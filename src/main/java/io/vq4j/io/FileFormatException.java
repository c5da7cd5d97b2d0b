package io.vq4j.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file that exists and can be read but is not what its format says it must be: a truncated or
 * corrupt safetensors checkpoint, a malformed {@code .npy}, a file that is not an image. A checked
 * {@link IOException}, like the I/O failures it sits beside, so callers handle both in one place.
 * The message always starts with the file's name and then says what is wrong, e.g.
 * {@code model.safetensors: tensor 'w' needs 6912 bytes but the file ends after 1024 of them}.
 */
public final class FileFormatException extends IOException {
    private final transient Path file;

    public FileFormatException(Path file, String problem) {
        super(label(file) + ": " + problem);
        this.file = file;
    }

    public FileFormatException(Path file, String problem, Throwable cause) {
        super(label(file) + ": " + problem, cause);
        this.file = file;
    }

    /** The file that is malformed. */
    public Path file() { return file; }

    /** How messages name a file: its name alone, which is what a person scanning a log recognises. */
    static String label(Path file) {
        Path name = file == null ? null : file.getFileName();
        return name == null ? String.valueOf(file) : name.toString();
    }
}
