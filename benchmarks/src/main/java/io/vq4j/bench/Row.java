package io.vq4j.bench;

import io.vq4j.cuda.CudaTimer;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One line of GpuBench's JSON: the op, its shape, the timing statistics (null when the case
 * failed before timing), the napkin math and floor, the correctness verdict, and how many input
 * sets were rotated. {@code extra} carries case-specific facts (e.g. peak memory).
 */
record Row(Workload work, CudaTimer.Stats stats, double floorMs, Check check, int sets, Map<String, Object> extra) {

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", work.op());
        m.put("shape", work.shape());
        m.put("vq4j_ms", stats == null ? null : stats.median());
        m.put("p10", stats == null ? null : stats.percentile(10));
        m.put("p90", stats == null ? null : stats.percentile(90));
        m.put("runs", stats == null ? 0 : stats.runs());
        m.put("bytes", work.bytes());
        m.put("flops", work.flops());
        m.put("floor_ms", floorMs);
        m.put("check", check.verdict());
        m.put("check_detail", check.detail());
        m.put("sets", sets);
        if (extra != null) m.putAll(extra);
        return m;
    }

    /** One line for the console. */
    String summary() {
        String t = stats == null ? "      -   " : String.format("%9.3f ms (p10 %.3f, p90 %.3f, %d runs)",
                stats.median(), stats.percentile(10), stats.percentile(90), stats.runs());
        String pct = stats == null ? "-" : String.format("%.0f%%", 100 * floorMs / stats.median());
        String op = work.op() + (extra != null && Boolean.TRUE.equals(extra.get("tf32")) ? " (TF32)" : "");
        String ips = extra != null && extra.get("images_per_s") instanceof Double d ? String.format("  %.0f images/s", d) : "";
        return String.format("%-28s %-24s %s%s  floor %.3f ms (%s)  check %s", op, work.shape(), t, ips, floorMs, pct,
                check.ok() ? "ok" : "FAIL");
    }
}
