"""Tests of benchmarks/report.py on synthetic JSON pairs: python3 benchmarks/src/test/python/test_report.py"""
import contextlib
import io
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
import report  # noqa: E402

TORCH_GPU = {
    "device": "NVIDIA H100 80GB HBM3", "torch": "2.11.0",
    "floors": {"copy_bytes_per_s": 3.0e12, "fp32_flops": 50e12, "tf32_flops": 400e12},
    "rows": [
        {"op": "nearest+quantize", "shape": "N=524288 D=64 K=256", "bytes": 270598144, "flops": 1.7e10,
         "tf32": False, "eager_ms": 2.0, "compiled_ms": 1.0},
        {"op": "nearest+quantize", "shape": "N=131072 D=256 K=16384", "bytes": 300000000, "flops": 1.1e12,
         "tf32": True, "eager_ms": 9.0, "compiled_ms": None},
        {"op": "reparam+kl fwd+bwd", "shape": "n=67108864", "bytes": 1610612736, "flops": 0, "tf32": False,
         "eager_ms": 8.0},
    ]}
VQ4J_GPU = {
    "device": "NVIDIA H100 80GB HBM3", "device_detail": "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs)", "driver": "13.0",
    "date": "2026-01-01T00:00:00Z", "data_checks": "false",
    "floors": {"copy_bytes_per_s": 3.0e12, "fp32_flops": 50e12, "tf32_flops": 400e12},
    "rows": [
        {"op": "nearest+quantize", "shape": "N=524288 D=64 K=256", "vq4j_ms": 0.5, "p10": 0.49, "p90": 0.52,
         "runs": 30, "bytes": 270598144, "flops": 1.7e10, "floor_ms": 0.34, "check": "ok", "sets": 2},
        {"op": "quantizer fwd+bwd deterministic", "shape": "N=524288 D=64 K=512", "vq4j_ms": 1.5, "runs": 30,
         "bytes": 671350784, "flops": 3.4e10, "floor_ms": 0.7, "check": "FAIL: gradZ", "sets": 2},
        {"op": "kl", "shape": "n=67108864", "vq4j_ms": None, "runs": 0, "bytes": 536870912, "flops": 0,
         "floor_ms": 0.18, "check": "FAIL: error: out of memory", "sets": 0},
    ]}
JMH = [
    {"benchmark": "io.vq4j.bench.NearestCodeBench.vq4j", "mode": "sample", "params": {"n": "65536", "d": "64", "k": "512"},
     "primaryMetric": {"score": 130.0, "scoreError": 3.0, "scoreUnit": "ms/op",
                       "scorePercentiles": {"0.0": 100.0, "50.0": 120.0, "90.0": 150.0, "100.0": 200.0}}},
    {"benchmark": "io.vq4j.bench.NearestCodeBench.reference", "params": {"n": "65536", "d": "64", "k": "512"},
     "primaryMetric": {"score": 2.4, "scoreError": "NaN", "scoreUnit": "s/op"}},
    {"benchmark": "io.vq4j.bench.Conv2dBench.vq4j", "params": {"layer": "32x14x14>64", "batch": "64"},
     "primaryMetric": {"score": 5000.0, "scoreError": 1.0, "scoreUnit": "us/op"}},
    {"benchmark": "io.vq4j.bench.SomethingNew.vq4j", "params": {"x": "1"},
     "primaryMetric": {"score": 1.0, "scoreUnit": "ops/s"}},
]
TORCH_CPU = {"device": "cpu: AMD EPYC", "torch": "1.13.1", "threads": 2, "rows": [
    {"op": "nearest code", "shape": "N=65536 D=64 K=512", "eager_ms": 240.0, "compiled_ms": None,
     "p10": 230.0, "p90": 250.0, "runs": 30, "bytes": 17170432, "flops": 4.29e9},
    {"op": "kl", "shape": "n=4194304", "eager_ms": 10.0, "runs": 30, "bytes": 33554432, "flops": 0},
]}

# bench_train_step.py --tf32 off (new precision API) and --tf32 on (old API), GpuBench's train-step rows
TRAIN_FP32 = {"environment": {"torch": "2.11.0", "device_name": "NVIDIA H100 80GB HBM3"},
              "math": {"cudnn_benchmark": False, "conv_fp32_precision": "ieee", "matmul_fp32_precision": "ieee"},
              "results": [
                  {"case": "vae512", "model": "ConvVAE", "mode": "eager", "input_shape": [8, 3, 512, 512], "batch": 8,
                   "ms_per_step": 19.6, "images_per_s": 408.2, "peak_memory_mib": 10240.0},
                  {"case": "vae512", "model": "ConvVAE", "mode": "compile", "input_shape": [8, 3, 512, 512], "batch": 8,
                   "ms_per_step": 15.0, "images_per_s": 533.3},
                  {"case": "vqvae256", "model": "ConvVQVAE", "mode": "eager", "input_shape": [16, 3, 256, 256],
                   "batch": 16, "ms_per_step": 11.2, "images_per_s": 1428.6},
                  {"case": "vqvae256", "model": "ConvVQVAE", "mode": "compile", "input_shape": [16, 3, 256, 256],
                   "batch": 16, "error": "RuntimeError: no compiler"},
              ]}
TRAIN_TF32 = {"environment": {"torch": "2.4.0", "device_name": "NVIDIA H100 80GB HBM3"},
              "math": {"cudnn_allow_tf32": True, "matmul_allow_tf32": True},
              "results": [
                  {"case": "vae512", "model": "ConvVAE", "mode": "eager", "input_shape": [8, 3, 512, 512], "batch": 8,
                   "ms_per_step": 9.8, "images_per_s": 816.3},
              ]}
VQ4J_TRAIN = {"device": "NVIDIA H100 80GB HBM3", "rows": [
    {"op": "train step", "shape": "ConvVAE 8x3x512x512 AdamW", "vq4j_ms": 16.0, "runs": 30, "bytes": 0,
     "flops": 4.9e11, "floor_ms": 9.8, "check": "ok", "sets": 2, "tf32": False, "images_per_s": 500.0,
     "peak_bytes": 8 * 2**30},
    {"op": "train step", "shape": "ConvVQVAE 16x3x256x256 AdamW", "vq4j_ms": 14.0, "runs": 30, "bytes": 0,
     "flops": 2.4e11, "floor_ms": 4.8, "check": "ok", "sets": 2, "tf32": False, "images_per_s": 1142.9},
    {"op": "train step", "shape": "ConvVAE 8x3x512x512 AdamW", "vq4j_ms": 4.9, "runs": 30, "bytes": 0,
     "flops": 4.9e11, "floor_ms": 1.2, "check": "ok", "sets": 2, "tf32": True, "images_per_s": 1632.7},
]}


class ReportTest(unittest.TestCase):
    def run_report(self, **files):
        with tempfile.TemporaryDirectory() as d:
            args = []
            for name, content in files.items():
                path = os.path.join(d, name + ".json")
                if content is not None:
                    with open(path, "w") as f:
                        json.dump(content, f)
                args += ["--" + name, path]
            out = os.path.join(d, "sub", "merged.json")
            buf, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
                rc = report.main(args + ["--out", out])
            merged = None
            if os.path.exists(out):
                with open(out) as f:
                    merged = json.load(f)
            return rc, buf.getvalue(), merged

    def row(self, text, op, shape):
        for line in text.splitlines():
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) > 2 and cells[0] == op and cells[1] == shape:
                return cells
        self.fail(f"no row {op} {shape} in\n{text}")

    def test_gpu_pair(self):
        rc, text, merged = self.run_report(torch=TORCH_GPU, vq4j=VQ4J_GPU)
        self.assertEqual(0, rc)
        head = [c.strip() for c in text.splitlines()[3].strip("|").split("|")]
        self.assertEqual(["op", "shape", "vq4j ms", "PyTorch eager ms", "compiled ms", "eager/vq4j", "compiled/vq4j",
                          "floor ms", "vq4j % of floor", "check"], head)
        # both sides: ratios and % of floor from the vq4j floor
        self.assertEqual(["nearest+quantize", "N=524288 D=64 K=256", "0.500", "2.000", "1.000", "4.00x", "2.00x",
                          "0.340", "68%", "ok"], self.row(text, "nearest+quantize", "N=524288 D=64 K=256"))
        # PyTorch only (TF32): vq4j '-', floor from PyTorch's TF32 rate and bytes
        tf = self.row(text, "nearest+quantize (TF32)", "N=131072 D=256 K=16384")
        self.assertEqual(["-", "9.000", "-", "-", "-"], tf[2:7])
        self.assertEqual(f"{1e3 * max(3e8 / 3e12, 1.1e12 / 400e12):.3f}", tf[7])
        # vq4j only, failed check
        det = self.row(text, "quantizer fwd+bwd deterministic", "N=524288 D=64 K=512")
        self.assertEqual(["1.500", "-", "-", "-", "-", "0.700", "47%", "FAIL"], det[2:])
        # vq4j errored (null time)
        kl = self.row(text, "kl", "n=67108864")
        self.assertEqual(["-", "-", "-", "-", "-", "0.180", "-", "FAIL"], kl[2:])
        self.assertEqual(4 + 1, len(merged["rows"]))  # 3 torch + 2 vq4j-only (one pair shared)
        pair = merged["rows"][0]
        self.assertEqual(4.0, pair["eager_over_vq4j"])
        self.assertEqual(30, pair["vq4j_runs"])
        self.assertEqual("NVIDIA H100 80GB HBM3", merged["vq4j"]["device"])

    def test_missing_torch_file_prints_dashes(self):
        rc, text, merged = self.run_report(torch=None, vq4j=VQ4J_GPU)
        self.assertEqual(0, rc)
        self.assertEqual("-", self.row(text, "nearest+quantize", "N=524288 D=64 K=256")[3])
        self.assertEqual(3, len(merged["rows"]))

    def test_cpu_pair_with_jmh(self):
        rc, text, merged = self.run_report(torch=TORCH_CPU, jmh=JMH)
        self.assertEqual(0, rc)
        head = [c.strip() for c in text.splitlines()[3].strip("|").split("|")]
        # no floors measured on the CPU: no floor columns; no compiled column (torch 1.13)
        self.assertEqual(["op", "shape", "vq4j ms", "plain Java ms", "PyTorch eager ms", "eager/vq4j", "plain/vq4j"],
                         head)
        near = self.row(text, "nearest code", "N=65536 D=64 K=512")
        self.assertEqual(["120.0", "2400.0", "240.0", "2.00x", "20.00x"], near[2:7])
        conv = self.row(text, "conv2d", "B=64 32x14x14>64 k4 s2 p1")
        self.assertEqual(["5.000", "-", "-", "-", "-"], conv[2:7])
        self.assertEqual("-", self.row(text, "kl", "n=4194304")[2])
        by_op = {r["op"]: r for r in merged["rows"]}
        self.assertNotIn("SomethingNew", [r for r in by_op if by_op[r].get("vq4j_ms")])  # ops/s skipped
        self.assertIsNone(by_op["nearest code"].get("ref_err_ms"))  # NaN error dropped
        self.assertEqual(150.0, by_op["nearest code"]["vq4j_p90_ms"])  # sample mode: median shown, p90 kept

    def test_train_step_rows_pair_by_shape_and_tf32(self):
        with tempfile.TemporaryDirectory() as d:
            paths = {}
            for name, doc in (("fp32", TRAIN_FP32), ("tf32", TRAIN_TF32), ("vq4j", VQ4J_TRAIN)):
                paths[name] = os.path.join(d, name + ".json")
                with open(paths[name], "w") as f:
                    json.dump(doc, f)
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
                rc = report.main(["--vq4j", paths["vq4j"], "--train", paths["fp32"], "--train", paths["tf32"],
                                  "--train", os.path.join(d, "absent.json")])
        text = buf.getvalue()
        self.assertEqual(0, rc)
        head = [c.strip() for c in text.splitlines()[4].strip("|").split("|")]
        self.assertEqual(["op", "shape", "vq4j ms", "PyTorch eager ms", "compiled ms", "eager/vq4j", "compiled/vq4j",
                          "vq4j images/s", "eager images/s", "vq4j peak MiB", "eager peak MiB", "floor ms",
                          "vq4j % of floor", "check"], head)
        self.assertIn("TF32 convolutions off", text)
        self.assertIn("TF32 convolutions on", text)
        vae = self.row(text, "train step", "ConvVAE 8x3x512x512 AdamW")
        self.assertEqual(["16.00", "19.60", "15.00", "1.23x", "0.94x", "500", "408", "8,192", "10,240", "9.800", "61%",
                          "ok"], vae[2:])
        # the compile failed: its columns print '-'
        vq = self.row(text, "train step", "ConvVQVAE 16x3x256x256 AdamW")
        self.assertEqual(["14.00", "11.20", "-", "0.80x", "-", "1,143", "1,429"], vq[2:9])
        # the TF32 pair: vq4j's tf32 row against the --tf32 on run, never against the FP32 one
        tf = self.row(text, "train step (TF32)", "ConvVAE 8x3x512x512 AdamW")
        self.assertEqual(["4.900", "9.800", "-", "2.00x"], tf[2:6])

    def test_train_tf32_from_either_api(self):
        self.assertFalse(report.train_tf32({"conv_fp32_precision": "ieee"}))
        self.assertTrue(report.train_tf32({"conv_fp32_precision": "tf32"}))
        self.assertFalse(report.train_tf32({"cudnn_allow_tf32": False}))
        self.assertTrue(report.train_tf32({}))  # PyTorch's default for convolutions
        self.assertEqual("ConvVQVAE 4x3x256x256 AdamW", report.train_shape("ConvVQVAE", [4, 3, 256, 256]))

    def test_nothing_at_all(self):
        rc, _, merged = self.run_report(torch=None, vq4j=None)
        self.assertEqual(1, rc)
        self.assertIsNone(merged)


if __name__ == "__main__":
    unittest.main()
