package io.vq4j.cuda.ffm;

import java.util.List;

/**
 * No candidate place held a loadable copy of a library. The message lists every place tried, in
 * order, and why each failed, so a user can see at once whether to install the library, point
 * {@code -Dvq4j.cublas} / {@code -Dvq4j.cudnn} at it, or fix a dependency of it.
 */
public final class LibraryNotFoundException extends RuntimeException {
    private final List<String> attempts;

    public LibraryNotFoundException(LibrarySpec spec, List<String> attempts) {
        super(format(spec, attempts));
        this.attempts = List.copyOf(attempts);
    }

    /** One line per place tried, in order: {@code "<place> (<origin>): <why it failed>"}. */
    public List<String> attempts() { return attempts; }

    private static String format(LibrarySpec spec, List<String> attempts) {
        StringBuilder sb = new StringBuilder(spec.displayName()).append(" could not be loaded; tried ")
                .append(attempts.size()).append(" place(s) in order:");
        for (String a : attempts) sb.append("\n  - ").append(a);
        sb.append("\nSet -D").append(spec.property()).append("=/path/to/").append(spec.sonames().getFirst())
                .append(" (or env ").append(spec.envVar()).append(") to name the file.");
        return sb.toString();
    }
}
