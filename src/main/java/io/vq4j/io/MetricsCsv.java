package io.vq4j.io;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;

/**
 * metrics.csv: a header line of column names, then one row per epoch, each flushed as it is
 * written so the file is current while training runs (and a crash loses at most the row being
 * written). Numbers are written in full precision (Java's shortest round-trip form; NaN and
 * infinities as nan, inf, -inf, which Python and pandas read); text is quoted per RFC 4180
 * when it needs to be; null is an empty cell.
 */
public final class MetricsCsv implements AutoCloseable {
    private final Path path;
    private final List<String> columns;
    private final Writer out;
    private boolean closed;

    private MetricsCsv(Path path, List<String> columns, Writer out) {
        this.path = path;
        this.columns = columns;
        this.out = out;
    }

    /** Creates (or truncates) {@code path} and writes the header line. */
    public static MetricsCsv create(Path path, List<String> columns) throws IOException {
        List<String> cols = checkColumns(path, columns);
        Writer w = Files.newBufferedWriter(path, StandardCharsets.UTF_8);
        try {
            w.write(line(cols));
            w.flush();
        } catch (IOException | RuntimeException e) {
            closeQuietly(w, e);
            throw e;
        }
        return new MetricsCsv(path, cols, w);
    }

    /**
     * Continues {@code path} when a resumed run appends to it: the header must match
     * {@code columns} (else a FileFormatException); a last row cut short by a crash is dropped.
     * A missing or empty file is created as by {@link #create}.
     */
    public static MetricsCsv resume(Path path, List<String> columns) throws IOException {
        List<String> cols = checkColumns(path, columns);
        if (!Files.exists(path) || Files.size(path) == 0) return create(path, cols);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            String header = line(cols);
            byte[] expect = header.getBytes(StandardCharsets.UTF_8);
            ByteBuffer first = ByteBuffer.allocate((int) Math.min(ch.size(), Math.max(expect.length, 4096)));
            while (first.hasRemaining() && ch.read(first, first.position()) >= 0) { /* read the start */ }
            byte[] start = Arrays.copyOf(first.array(), first.position());
            if (start.length < expect.length || !Arrays.equals(start, 0, expect.length, expect, 0, expect.length)) {
                String found = new String(start, StandardCharsets.UTF_8).lines().findFirst().orElse("");
                throw new FileFormatException(path, "its header is '" + found + "' but this run writes '" + header.strip() + "'");
            }
            ch.truncate(lastNewline(ch) + 1); // a partial last row (no newline yet) is dropped
        }
        Writer w = new BufferedWriter(Channels.newWriter(
                FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.APPEND), StandardCharsets.UTF_8));
        return new MetricsCsv(path, cols, w);
    }

    public List<String> columns() { return columns; }

    public Path path() { return path; }

    /** Appends one row (one value per column: numbers, text, booleans, null) and flushes it. */
    public void append(Object... values) throws IOException {
        if (closed) throw new IllegalStateException(FileFormatException.label(path) + " is closed");
        if (values == null || values.length != columns.size()) {
            throw new IllegalArgumentException("a row of " + FileFormatException.label(path) + " needs " + columns.size()
                    + " values " + columns + ", got " + (values == null ? "null" : values.length));
        }
        String[] cells = new String[values.length];
        for (int i = 0; i < values.length; i++) cells[i] = format(values[i]);
        out.write(line(List.of(cells)));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        out.close();
    }

    // ---- formatting ---------------------------------------------------------------------------

    private static String format(Object v) {
        return switch (v) {
            case null -> "";
            case Double d -> number(d);
            case Float f -> Float.isFinite(f) ? Float.toString(f) : number(f);
            case Number n -> n.toString(); // integers (and BigDecimal etc.) print exactly
            default -> v.toString();
        };
    }

    private static String number(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        return Double.toString(d);
    }

    /** Cells joined with commas, each quoted if it holds a comma, quote, CR or LF; then "\n". */
    private static String line(List<String> cells) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) b.append(',');
            String c = cells.get(i);
            if (c.indexOf(',') >= 0 || c.indexOf('"') >= 0 || c.indexOf('\n') >= 0 || c.indexOf('\r') >= 0) {
                b.append('"').append(c.replace("\"", "\"\"")).append('"');
            } else {
                b.append(c);
            }
        }
        return b.append('\n').toString();
    }

    private static List<String> checkColumns(Path path, List<String> columns) {
        if (path == null) throw new IllegalArgumentException("path must not be null");
        if (columns == null || columns.isEmpty()) throw new IllegalArgumentException("columns must not be empty");
        var seen = new HashSet<String>();
        for (String c : columns) {
            if (c == null || c.isBlank()) throw new IllegalArgumentException("column names must not be blank: " + columns);
            if (!seen.add(c)) throw new IllegalArgumentException("column '" + c + "' appears twice in " + columns);
        }
        return List.copyOf(columns);
    }

    /** Offset of the last '\n' in the file (the header has one, so there is one). */
    private static long lastNewline(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8192);
        for (long end = ch.size(); end > 0; ) {
            long start = Math.max(0, end - b.capacity());
            b.clear().limit((int) (end - start));
            while (b.hasRemaining() && ch.read(b, start + b.position()) >= 0) { /* fill */ }
            for (int i = b.position() - 1; i >= 0; i--) if (b.get(i) == '\n') return start + i;
            end = start;
        }
        return -1;
    }

    private static void closeQuietly(Writer w, Throwable failure) {
        try {
            w.close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }
}
