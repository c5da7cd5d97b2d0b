package io.vq4j.cuda.ffm;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Finds cuBLAS or cuDNN, one order for both (Elasticsearch libs/native style):
 * <ol>
 *   <li>an explicit file from {@code -Dvq4j.cublas} / {@code -Dvq4j.cudnn}, then from env
 *       {@code VQ4J_CUBLAS} / {@code VQ4J_CUDNN} (a folder there means "the sonames in it");</li>
 *   <li>the dynamic loader's own search for each soname (LD_LIBRARY_PATH, the ld.so cache);</li>
 *   <li>each soname in the CUDA toolkit's folders, the distribution's library folder and the
 *       pip wheels' {@code nvidia/<pkg>/lib} folders of the site-packages found cheaply.</li>
 * </ol>
 * The first candidate that loads and exports the spec's probe symbol wins. When none does, a
 * {@link LibraryNotFoundException} lists every place tried and why each failed.
 *
 * <p>Building the candidate list and trying it are separate pure-ish functions, so tests can
 * check the order with fake paths and a fake opener.
 */
public final class NativeLibraryFinder {
    private NativeLibraryFinder() {}

    /** Opens one candidate, or throws with a message saying why it cannot. */
    @FunctionalInterface
    public interface Opener {
        SymbolLookup open(LibraryCandidate candidate) throws Exception;
    }

    /** A loaded library and the candidate it came from. */
    public record Found(SymbolLookup lookup, LibraryCandidate where) {}

    /** Finds {@code spec} the real way: system property, environment, loader, default folders. */
    public static Found find(LibrarySpec spec) {
        List<LibraryCandidate> candidates = candidates(spec, System.getProperty(spec.property()),
                System.getenv(spec.envVar()), defaultSearchDirs(System.getenv(), System.getProperty("user.home")));
        return find(spec, candidates, NativeLibraryFinder::openWithLoader);
    }

    /**
     * Every place to try, in order.
     *
     * @param propertyValue the value of {@code -D<spec.property()>}, or null
     * @param envValue the value of env {@code <spec.envVar()>}, or null
     * @param searchDirs folders to look in after the dynamic loader, in order
     */
    public static List<LibraryCandidate> candidates(LibrarySpec spec, String propertyValue, String envValue,
                                                    List<Path> searchDirs) {
        List<LibraryCandidate> out = new ArrayList<>();
        explicit(spec, propertyValue, "-D" + spec.property(), out);
        explicit(spec, envValue, "env " + spec.envVar(), out);
        for (String soname : spec.sonames()) out.add(LibraryCandidate.soname(soname));
        // soname-major: a newer soname anywhere beats an older one earlier in the folder list
        for (String soname : spec.sonames()) {
            for (Path dir : searchDirs) out.add(LibraryCandidate.path(dir.resolve(soname), "search folder " + dir));
        }
        return out;
    }

    private static void explicit(LibrarySpec spec, String value, String origin, List<LibraryCandidate> out) {
        if (value == null || value.isBlank()) return;
        Path p = Path.of(value.strip());
        if (Files.isDirectory(p)) {
            for (String soname : spec.sonames()) out.add(LibraryCandidate.path(p.resolve(soname), origin));
        } else {
            out.add(LibraryCandidate.path(p, origin));
        }
    }

    /** Tries each candidate in order; the first that opens and has the probe symbol is returned. */
    public static Found find(LibrarySpec spec, List<LibraryCandidate> candidates, Opener opener) {
        List<String> attempts = new ArrayList<>(candidates.size());
        for (LibraryCandidate c : candidates) {
            SymbolLookup lookup;
            try {
                lookup = opener.open(c);
            } catch (Exception | LinkageError e) {
                attempts.add(c + ": " + describe(e));
                continue;
            }
            if (lookup == null) {
                attempts.add(c + ": not loaded");
            } else if (lookup.find(spec.probeSymbol()).isEmpty()) {
                attempts.add(c + ": loaded, but has no symbol " + spec.probeSymbol() + " (not " + spec.displayName() + "?)");
            } else {
                return new Found(lookup, c);
            }
        }
        throw new LibraryNotFoundException(spec, attempts);
    }

    private static String describe(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    /**
     * The real opener: a path must be a readable file; then {@link SymbolLookup#libraryLookup}
     * in the global arena (the library stays loaded for the life of the process, as the handles
     * bound to it are static). On failure, dlerror()'s explanation is added where available.
     */
    @SuppressWarnings("restricted")
    static SymbolLookup openWithLoader(LibraryCandidate c) {
        if (c.isPath()) {
            Path p = Path.of(c.target());
            if (!Files.exists(p)) throw new IllegalArgumentException("no such file");
            if (!Files.isRegularFile(p)) throw new IllegalArgumentException("not a regular file");
            if (!Files.isReadable(p)) throw new IllegalArgumentException("not readable");
        }
        try {
            return c.isPath() ? SymbolLookup.libraryLookup(Path.of(c.target()), Arena.global())
                    : SymbolLookup.libraryLookup(c.target(), Arena.global());
        } catch (IllegalArgumentException e) {
            String why = DlError.explain(c.target());
            throw new IllegalArgumentException(why != null ? "dlopen failed: " + why
                    : describe(e) + (c.isPath() ? "" : " (not on LD_LIBRARY_PATH or in the ld.so cache)"), e);
        }
    }

    /**
     * Folders searched after the dynamic loader, in order, without duplicates: the CUDA
     * toolkit's ({@code /usr/local/cuda}, {@code $CUDA_HOME}), the distribution's
     * {@code /usr/lib/x86_64-linux-gnu}, and the pip wheels' {@code nvidia/<pkg>/lib} folders
     * (nvidia-cublas-cu12, nvidia-cudnn-cu12, ...) under the site-packages of a virtualenv,
     * conda, the user's and the system's Python 3 (only folders that exist; listing is cheap).
     */
    public static List<Path> defaultSearchDirs(Map<String, String> env, String userHome) {
        Set<Path> dirs = new LinkedHashSet<>();
        dirs.add(Path.of("/usr/local/cuda/lib64"));
        dirs.add(Path.of("/usr/local/cuda/targets/x86_64-linux/lib"));
        String cudaHome = env.get("CUDA_HOME");
        if (cudaHome != null && !cudaHome.isBlank()) dirs.add(Path.of(cudaHome.strip(), "lib64"));
        dirs.add(Path.of("/usr/lib/x86_64-linux-gnu"));
        List<Path> pythonRoots = new ArrayList<>();
        for (String var : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
            String v = env.get(var);
            if (v != null && !v.isBlank()) pythonRoots.add(Path.of(v.strip(), "lib"));
        }
        if (userHome != null && !userHome.isBlank()) pythonRoots.add(Path.of(userHome, ".local", "lib"));
        pythonRoots.add(Path.of("/usr/local/lib"));
        pythonRoots.add(Path.of("/usr/lib"));
        for (Path root : pythonRoots) {
            for (Path python : childDirs(root, "python3")) {
                for (String site : List.of("site-packages", "dist-packages")) {
                    for (Path pkg : childDirs(python.resolve(site).resolve("nvidia"), "")) {
                        Path lib = pkg.resolve("lib");
                        if (Files.isDirectory(lib)) dirs.add(lib);
                    }
                }
            }
        }
        return List.copyOf(dirs);
    }

    /** Sub-folders of {@code dir} whose names start with {@code prefix}, sorted; none if unreadable. */
    private static Set<Path> childDirs(Path dir, String prefix) {
        Set<Path> out = new TreeSet<>();
        if (!Files.isDirectory(dir)) return out;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (p.getFileName().toString().startsWith(prefix) && Files.isDirectory(p)) out.add(p);
            }
        } catch (IOException | SecurityException e) {
            // an unreadable folder just adds no candidates
        }
        return out;
    }
}
