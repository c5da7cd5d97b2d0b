package io.vq4j.cli;

import io.vq4j.io.Images;
import io.vq4j.io.Npy;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The CLI end to end on the CPU: train, encode, decode, reconstruct, evaluate; errors are one line and exit 2. */
class CliTest {
    @TempDir Path dir;

    /** Runs the CLI, returning the exit code and capturing stdout and stderr. */
    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void trainEncodeDecodeReconstructEvaluate() throws Exception {
        Path out = dir.resolve("run");
        Run t = run("train", "--backend", "cpu", "--data", "synthetic", "--synthetic-count", "160", "--image-size", "16",
                "--epochs", "2", "--batch", "16", "--out", out.toString(), "--codes", "32");
        assertEquals(0, t.code(), t.err() + t.out());
        for (String f : List.of("model.safetensors", "metrics.csv", "reconstructions.png", "loss.png")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f + " missing");
        }
        List<String> csv = Files.readAllLines(out.resolve("metrics.csv"));
        assertEquals(3, csv.size(), "a header and one row per epoch: " + csv);
        assertTrue(csv.get(0).startsWith("epoch,step,train_loss"), csv.get(0));

        Path images = Files.createDirectories(dir.resolve("images"));
        for (int i = 0; i < 3; i++) {
            float[] px = io.vq4j.TestData.uniform(i, 3 * 16 * 16, 0, 1);
            Images.write(images.resolve("img" + i + ".png"), Tensor.of(px, 3, 16, 16));
        }
        Path codes = dir.resolve("codes.npy");
        Run e = run("encode", "--backend", "cpu", "--model", out.resolve("model.safetensors").toString(),
                "--input", images.toString(), "--output", codes.toString());
        assertEquals(0, e.code(), e.err());
        Tensor c = Npy.read(codes);
        assertArrayEquals(new int[] {3, 2, 2}, c.shape(), "16x16 images have a 2x2 code grid");
        for (int v : c.hostInts()) assertTrue(v >= 0 && v < 32, "code " + v);
        assertEquals(3, Files.readAllLines(Path.of(codes + ".files.txt")).size());

        Path decoded = dir.resolve("decoded");
        Run d = run("decode", "--backend", "cpu", "--model", out.resolve("model.safetensors").toString(),
                "--codes", codes.toString(), "--output", decoded.toString());
        assertEquals(0, d.code(), d.err());
        assertArrayEquals(new int[] {3, 16, 16}, Images.read(decoded.resolve("image_00002.png")).shape());

        Path recon = dir.resolve("recon");
        Run r = run("reconstruct", "--backend", "cpu", "--model", out.resolve("model.safetensors").toString(),
                "--input", images.toString(), "--output", recon.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.exists(recon.resolve("img1.png")));

        Run ev = run("evaluate", "--backend", "cpu", "--model", out.resolve("model.safetensors").toString(),
                "--data", "synthetic", "--json", dir.resolve("eval.json").toString());
        assertEquals(0, ev.code(), ev.err());
        assertTrue(ev.out().contains("recon_mse") && ev.out().contains("perplexity"), ev.out());

        // a 3-channel model and 1-channel data: one line, exit 2
        Run mismatch = run("evaluate", "--backend", "cpu", "--model", out.resolve("model.safetensors").toString(),
                "--data", "fashion-mnist");
        assertEquals(2, mismatch.code(), mismatch.err());
        assertTrue(mismatch.err().contains("1 channel but the model takes 3"), mismatch.err());
    }

    @Test
    void mistakesAreOneLineAndExitCode2() {
        String[][] bad = {
                {"train", "--bogus"},
                {"train", "--model", "transformer"},
                {"train", "--epochs", "0"},
                {"train", "--data", "/no/such/folder"},
                {"train", "--model", "vqvae", "--image-size", "30"},
                {"encode", "--model", "/no/such.safetensors", "--input", "/no/such.png", "--output", "/tmp/x.npy"},
                {"decode", "--model", "/no/such.safetensors", "--codes", "/no/codes.npy", "--output", "/tmp/x"},
                {"info", "--backend", "tpu"},
        };
        for (String[] args : bad) {
            Run r = run(args);
            assertEquals(2, r.code(), String.join(" ", args) + " -> " + r.err());
            String err = r.err().strip();
            assertTrue(err.startsWith("vq4j: ") && !err.contains("\n\tat "), String.join(" ", args) + " -> " + err);
        }
    }

    @Test
    void everyCommandHasHelp() {
        for (String cmd : List.of("train", "encode", "decode", "reconstruct", "evaluate", "info")) {
            Run r = run(cmd, "--help");
            assertEquals(0, r.code(), cmd);
            assertTrue(r.out().contains("Usage: vq4j " + cmd), cmd + ": " + r.out());
        }
    }
}
