package io.vq4j.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that readers see either the old complete file or the new complete file, never
 * a half-written one: the body writes a temporary file in the target's directory (same file
 * system, so the rename is atomic), which is forced to disk and then renamed over the target.
 * On any failure, checked or not, the temporary file is deleted and the target left untouched.
 * A training run killed while saving a checkpoint therefore still has its previous checkpoint.
 */
final class AtomicFile {
    private AtomicFile() {}

    /** Writes the whole content into the channel it is given (positioned at 0, empty). */
    @FunctionalInterface
    interface Body {
        void write(FileChannel channel) throws IOException;
    }

    /** Writes the whole content to the stream it is given; must not close it. */
    @FunctionalInterface
    interface StreamBody {
        void write(OutputStream out) throws IOException;
    }

    /** {@link #write(Path, Body)} for code that writes streams (ImageIO, xchart, text). */
    static void writeStream(Path target, StreamBody body) throws IOException {
        write(target, ch -> {
            // Not closed here: that would close the channel before it is forced to disk.
            OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
            body.write(out);
            out.flush();
        });
    }

    static void write(Path target, Body body) throws IOException {
        if (target == null) throw new IllegalArgumentException("path must not be null");
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null) throw new IllegalArgumentException("path " + target + " has no parent directory");
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "cannot write " + abs.getFileName() + ": no such directory");
        }
        Path tmp = createTemp(dir, abs.getFileName().toString());
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                body.write(ch);
                ch.force(true); // the data must be on disk before the rename makes it the file
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException(FileFormatException.label(target) + ": the file system of " + dir
                        + " cannot rename atomically, so the file cannot be replaced safely", e);
            }
        } catch (Throwable t) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException | RuntimeException cleanup) {
                t.addSuppressed(cleanup);
            }
            throw t;
        }
        syncDirectory(dir);
    }

    /**
     * A new empty file named {@code .NAME.RANDOM.tmp}: hidden, recognisably ours, and created with
     * the process's default permissions (Files.createTempFile would make it owner-only, and the
     * rename would carry that over to a checkpoint other users expect to read).
     */
    private static Path createTemp(Path dir, String name) throws IOException {
        String stem = name.length() > 100 ? name.substring(0, 100) : name; // stay under NAME_MAX
        for (int attempt = 0; ; attempt++) {
            byte[] r = new byte[6];
            ThreadLocalRandom.current().nextBytes(r);
            Path tmp = dir.resolve("." + stem + "." + HexFormat.of().formatHex(r) + ".tmp");
            try {
                Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) throw e;
            }
        }
    }

    /** Makes the rename itself durable (Linux needs the directory forced); best effort elsewhere. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | RuntimeException ignored) {
            // Some platforms cannot open or force a directory; the rename has happened regardless.
        }
    }
}
