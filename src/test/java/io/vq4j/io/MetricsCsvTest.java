package io.vq4j.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class MetricsCsvTest {
    @TempDir Path dir;

    @Test
    void headerThenOneFlushedRowPerEpoch() throws IOException {
        Path p = dir.resolve("metrics.csv");
        try (MetricsCsv csv = MetricsCsv.create(p, List.of("epoch", "train_loss", "val_loss", "perplexity"))) {
            assertEquals("epoch,train_loss,val_loss,perplexity\n", Files.readString(p));
            csv.append(1, 0.125, 0.25f, 511.5);
            assertEquals("epoch,train_loss,val_loss,perplexity\n1,0.125,0.25,511.5\n", Files.readString(p), "flushed at once");
            csv.append(2L, 1e-5, Double.NaN, Double.POSITIVE_INFINITY);
            csv.append(3, 0.1, null, Double.NEGATIVE_INFINITY);
        }
        assertEquals(List.of("epoch,train_loss,val_loss,perplexity", "1,0.125,0.25,511.5", "2,1.0E-5,nan,inf", "3,0.1,,-inf"),
                Files.readAllLines(p));
    }

    @Test
    void valuesRoundTripInFullPrecision() throws IOException {
        Path p = dir.resolve("m.csv");
        double x = 0.1 + 0.2;
        float f = 1f / 3;
        try (MetricsCsv csv = MetricsCsv.create(p, List.of("a", "b"))) {
            csv.append(x, f);
        }
        String[] cells = Files.readAllLines(p).get(1).split(",");
        assertEquals(x, Double.parseDouble(cells[0]));
        assertEquals(f, Float.parseFloat(cells[1]));
    }

    @Test
    void wrongColumnCountIsAnError() throws IOException {
        Path p = dir.resolve("m.csv");
        try (MetricsCsv csv = MetricsCsv.create(p, List.of("epoch", "loss"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> csv.append(1, 2.0, 3.0));
            assertTrue(e.getMessage().contains("needs 2 values [epoch, loss], got 3"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> csv.append(1));
            assertThrows(IllegalArgumentException.class, () -> csv.append((Object[]) null));
        }
        assertEquals(List.of("epoch,loss"), Files.readAllLines(p), "no partial row written");
        assertThrows(IllegalArgumentException.class, () -> MetricsCsv.create(p, List.of("a", "a")));
        assertThrows(IllegalArgumentException.class, () -> MetricsCsv.create(p, List.of()));
    }

    @Test
    void textIsQuotedWhenItMustBe() throws IOException {
        Path p = dir.resolve("m.csv");
        try (MetricsCsv csv = MetricsCsv.create(p, List.of("name", "note, with comma"))) {
            csv.append("plain", "say \"hi\"\nthere");
        }
        assertEquals("name,\"note, with comma\"\nplain,\"say \"\"hi\"\"\nthere\"\n", Files.readString(p));
    }

    @Test
    void appendAfterCloseIsAnError() throws IOException {
        MetricsCsv csv = MetricsCsv.create(dir.resolve("m.csv"), List.of("a"));
        csv.close();
        assertThrows(IllegalStateException.class, () -> csv.append(1));
    }

    @Test
    void resumeContinuesAMatchingFileAndDropsAPartialRow() throws IOException {
        Path p = dir.resolve("metrics.csv");
        try (MetricsCsv csv = MetricsCsv.create(p, List.of("epoch", "loss"))) {
            csv.append(1, 0.5);
        }
        Files.writeString(p, "2,0.4", StandardCharsets.UTF_8, StandardOpenOption.APPEND); // killed mid-row
        try (MetricsCsv csv = MetricsCsv.resume(p, List.of("epoch", "loss"))) {
            csv.append(2, 0.25);
        }
        assertEquals("epoch,loss\n1,0.5\n2,0.25\n", Files.readString(p));

        FileFormatException e = assertThrows(FileFormatException.class, () -> MetricsCsv.resume(p, List.of("epoch", "kl")));
        assertTrue(e.getMessage().startsWith("metrics.csv: its header is 'epoch,loss'"), e.getMessage());
        assertEquals("epoch,loss\n1,0.5\n2,0.25\n", Files.readString(p), "a refused resume changes nothing");

        Path fresh = dir.resolve("fresh.csv");
        try (MetricsCsv csv = MetricsCsv.resume(fresh, List.of("epoch"))) {
            csv.append(1);
        }
        assertEquals("epoch\n1\n", Files.readString(fresh));
    }
}
