package io.vq4j.bench;

import com.google.gson.GsonBuilder;
import io.vq4j.cuda.Cuda;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GpuBench's JSON, the counterpart of bench_ops.py's: device, date, floors (same keys) and one
 * object per row ({@link Row#toJson()}). report.py reads it.
 */
final class ResultJson {
    private ResultJson() {}

    static void write(Path out, Cuda.Runtime rt, Floors f, int reps, boolean quick, String poolReleaseThreshold,
                      List<Row> rows) throws IOException {
        Map<String, Object> top = new LinkedHashMap<>();
        top.put("device", rt.context().name());
        top.put("device_detail", rt.context().toString());
        top.put("driver", Cuda.driverVersionString(rt.driverVersion()));
        top.put("date", OffsetDateTime.now().toString());
        top.put("java", Runtime.version().toString());
        top.put("data_checks", System.getProperty("vq4j.checks", "true"));
        top.put("reps", reps);
        top.put("quick", quick);
        top.put("pool_release_threshold", poolReleaseThreshold);
        Map<String, Object> floors = new LinkedHashMap<>();
        floors.put("copy_bytes_per_s", f.copyBytesPerSecond());
        floors.put("fp32_flops", f.fp32FlopsPerSecond());
        floors.put("tf32_flops", f.tf32FlopsPerSecond());
        top.put("floors", floors);
        top.put("rows", rows.stream().map(Row::toJson).toList());
        String json = new GsonBuilder().setPrettyPrinting().serializeNulls().serializeSpecialFloatingPointValues()
                .create().toJson(top);
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        Files.writeString(out, json + "\n");
    }
}
