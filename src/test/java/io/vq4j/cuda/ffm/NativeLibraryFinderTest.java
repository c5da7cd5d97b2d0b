package io.vq4j.cuda.ffm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The library finder's order and its failure message, with fake paths and fake openers (no NVIDIA library needed). */
class NativeLibraryFinderTest {

    /** cuBLAS's names, but sonames no machine has, so the real loader fails the same way everywhere. */
    private static final LibrarySpec FAKE = new LibrarySpec("cuBLAS", "vq4j.cublas", "VQ4J_CUBLAS",
            List.of("libvq4j-test-absent.so.13", "libvq4j-test-absent.so.12"), "cublasCreate_v2");

    /** A lookup that has exactly the given symbols (at a dummy address). */
    private static SymbolLookup lookupWith(String... symbols) {
        List<String> names = List.of(symbols);
        return name -> names.contains(name) ? Optional.of(MemorySegment.ofAddress(0x1000)) : Optional.empty();
    }

    @Test
    void candidatesComeInOrder_explicitPathThenEnvThenLoaderThenFolders() {
        List<LibraryCandidate> c = NativeLibraryFinder.candidates(LibrarySpec.CUBLAS, "/opt/x/libcublas.so.13",
                "/env/libcublas.so", List.of(Path.of("/d1"), Path.of("/d2")));
        List<String> targets = c.stream().map(LibraryCandidate::target).toList();
        assertEquals(List.of("/opt/x/libcublas.so.13", "/env/libcublas.so",
                "libcublas.so.13", "libcublas.so.12",
                "/d1/libcublas.so.13", "/d2/libcublas.so.13", "/d1/libcublas.so.12", "/d2/libcublas.so.12"), targets);
        assertTrue(c.get(0).isPath() && c.get(0).origin().equals("-Dvq4j.cublas"), c.get(0).toString());
        assertTrue(c.get(1).isPath() && c.get(1).origin().equals("env VQ4J_CUBLAS"), c.get(1).toString());
        assertFalse(c.get(2).isPath());
        assertFalse(c.get(3).isPath());
        assertTrue(c.get(4).isPath() && c.get(4).origin().contains("/d1"), c.get(4).toString());
    }

    @Test
    void blankExplicitValuesAreIgnored() {
        List<LibraryCandidate> c = NativeLibraryFinder.candidates(LibrarySpec.CUDNN, "  ", null, List.of());
        assertEquals(List.of("libcudnn.so.9"), c.stream().map(LibraryCandidate::target).toList());
    }

    @Test
    void anExplicitFolderMeansTheSonamesInIt(@TempDir Path dir) {
        List<LibraryCandidate> c = NativeLibraryFinder.candidates(LibrarySpec.CUBLAS, dir.toString(), null, List.of());
        assertEquals(List.of(dir.resolve("libcublas.so.13").toString(), dir.resolve("libcublas.so.12").toString(),
                "libcublas.so.13", "libcublas.so.12"), c.stream().map(LibraryCandidate::target).toList());
    }

    @Test
    void theFirstCandidateThatOpensWins_andLaterOnesAreNotTried() {
        List<LibraryCandidate> c = NativeLibraryFinder.candidates(LibrarySpec.CUBLAS, "/explicit/libcublas.so",
                null, List.of(Path.of("/d1")));
        List<String> tried = new ArrayList<>();
        SymbolLookup good = lookupWith("cublasCreate_v2");
        NativeLibraryFinder.Found f = NativeLibraryFinder.find(LibrarySpec.CUBLAS, c, cand -> {
            tried.add(cand.target());
            if (cand.target().equals("libcublas.so.12")) return good;
            throw new IllegalArgumentException("nope");
        });
        assertSame(good, f.lookup());
        assertEquals("libcublas.so.12", f.where().target());
        assertEquals(List.of("/explicit/libcublas.so", "libcublas.so.13", "libcublas.so.12"), tried);
    }

    @Test
    void anExplicitPathThatLoadsIsPreferredOverTheLoader() {
        List<LibraryCandidate> c = NativeLibraryFinder.candidates(LibrarySpec.CUDNN, "/explicit/libcudnn.so.9",
                null, List.of());
        NativeLibraryFinder.Found f = NativeLibraryFinder.find(LibrarySpec.CUDNN, c, cand -> lookupWith("cudnnCreate"));
        assertEquals("/explicit/libcudnn.so.9", f.where().target());
        assertEquals("-Dvq4j.cudnn", f.where().origin());
    }

    @Test
    void aLibraryWithoutTheProbeSymbolIsPassedOverWithAReason() {
        List<LibraryCandidate> c = NativeLibraryFinder.candidates(LibrarySpec.CUDNN, "/wrong/libcublas.so.13",
                null, List.of());
        NativeLibraryFinder.Found f = NativeLibraryFinder.find(LibrarySpec.CUDNN, c,
                cand -> cand.isPath() ? lookupWith("cublasCreate_v2") : lookupWith("cudnnCreate"));
        assertEquals("libcudnn.so.9", f.where().target());

        LibraryNotFoundException e = assertThrows(LibraryNotFoundException.class,
                () -> NativeLibraryFinder.find(LibrarySpec.CUDNN, c, cand -> lookupWith("somethingElse")));
        assertTrue(e.attempts().get(0).contains("/wrong/libcublas.so.13")
                && e.attempts().get(0).contains("no symbol cudnnCreate"), e.attempts().get(0));
    }

    @Test
    void whenNothingLoadsTheMessageListsEveryPlaceAndWhy() {
        List<LibraryCandidate> c = NativeLibraryFinder.candidates(LibrarySpec.CUBLAS, "/p/libcublas.so",
                "/e/libcublas.so", List.of(Path.of("/d1"), Path.of("/d2")));
        LibraryNotFoundException e = assertThrows(LibraryNotFoundException.class,
                () -> NativeLibraryFinder.find(LibrarySpec.CUBLAS, c, cand -> {
                    throw new IllegalArgumentException("reason-for-" + cand.target());
                }));
        assertEquals(c.size(), e.attempts().size());
        for (int i = 0; i < c.size(); i++) {
            String a = e.attempts().get(i);
            assertTrue(a.startsWith(c.get(i).target()) && a.endsWith("reason-for-" + c.get(i).target()), a);
            assertTrue(e.getMessage().contains(a), e.getMessage());
        }
        assertTrue(e.getMessage().startsWith("cuBLAS could not be loaded; tried 8 place(s)"), e.getMessage());
        assertTrue(e.getMessage().contains("-Dvq4j.cublas=") && e.getMessage().contains("VQ4J_CUBLAS"), e.getMessage());
    }

    @Test
    void theRealLoaderExplainsEachFailure_nonexistentExplicitPath(@TempDir Path dir) throws IOException {
        // a real shared library that is not cuBLAS, under a cuBLAS-like name: it loads but lacks the probe symbol
        Path libm = Stream.of("/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6",
                "/lib64/libm.so.6", "/usr/lib64/libm.so.6").map(Path::of).filter(Files::isRegularFile).findFirst()
                .orElse(null);
        assumeTrue(libm != null, "no libm.so.6 in the usual folders");
        Path impostor = Files.createSymbolicLink(dir.resolve("libvq4j-test-absent.so.13"), libm);
        List<LibraryCandidate> c = NativeLibraryFinder.candidates(FAKE, "/nonexistent/libcublas.so", null,
                List.of(dir, Path.of("/nonexistent-dir")));
        LibraryNotFoundException e = assertThrows(LibraryNotFoundException.class,
                () -> NativeLibraryFinder.find(FAKE, c, NativeLibraryFinder::openWithLoader));
        String m = e.getMessage();
        List<String> a = e.attempts();
        assertEquals(7, a.size(), m);
        assertEquals("/nonexistent/libcublas.so (-Dvq4j.cublas): no such file", a.get(0));
        // the loader's own words (dlerror) where libc lets us ask, else the JDK's
        assertTrue(a.get(1).startsWith("libvq4j-test-absent.so.13 (dynamic loader): ")
                && (a.get(1).contains("cannot open shared object file") || a.get(1).contains("Cannot open library")), a.get(1));
        assertTrue(a.get(2).startsWith("libvq4j-test-absent.so.12 (dynamic loader): "), a.get(2));
        assertEquals(impostor + " (search folder " + dir + "): loaded, but has no symbol cublasCreate_v2 (not cuBLAS?)", a.get(3));
        assertEquals("/nonexistent-dir/libvq4j-test-absent.so.13 (search folder /nonexistent-dir): no such file", a.get(4));
        assertTrue(a.get(5).endsWith("no such file") && a.get(6).endsWith("no such file"), m);
        for (String s : a) assertTrue(m.contains(s), m);
        System.out.println("[cpu] finder message:\n" + m);
    }

    @Test
    void defaultSearchDirs_toolkitFirst_cudaHomeOnce_pipWheelsFound(@TempDir Path home) throws IOException {
        Path venv = home.resolve("venv");
        Path cublasLib = Files.createDirectories(venv.resolve("lib/python3.12/site-packages/nvidia/cublas/lib"));
        Path cudnnLib = Files.createDirectories(venv.resolve("lib/python3.12/site-packages/nvidia/cudnn/lib"));
        Files.createDirectories(venv.resolve("lib/python3.12/site-packages/nvidia/nolib")); // no lib/: skipped
        List<Path> dirs = NativeLibraryFinder.defaultSearchDirs(
                Map.of("CUDA_HOME", "/usr/local/cuda", "VIRTUAL_ENV", venv.toString()), home.toString());
        assertEquals(Path.of("/usr/local/cuda/lib64"), dirs.get(0));
        assertEquals(Path.of("/usr/local/cuda/targets/x86_64-linux/lib"), dirs.get(1));
        assertEquals(Path.of("/usr/lib/x86_64-linux-gnu"), dirs.get(2)); // CUDA_HOME/lib64 is a duplicate
        assertEquals(dirs.size(), dirs.stream().distinct().count(), dirs.toString());
        int iCublas = dirs.indexOf(cublasLib), iCudnn = dirs.indexOf(cudnnLib);
        assertTrue(iCublas > 2 && iCudnn == iCublas + 1, dirs.toString());
        assertFalse(dirs.contains(venv.resolve("lib/python3.12/site-packages/nvidia/nolib/lib")), dirs.toString());

        List<Path> other = NativeLibraryFinder.defaultSearchDirs(Map.of("CUDA_HOME", "/opt/cuda-13"), null);
        assertEquals(Path.of("/opt/cuda-13/lib64"), other.get(2));
        assertEquals(Path.of("/usr/lib/x86_64-linux-gnu"), other.get(3));
    }
}
