"""CPU tests of the two scripts: train_reference.py --steps 5 on the real Fashion-MNIST files (its
JSON, and --save through a stand-in safetensors module), its data order, and bench_train_step.py
--device cpu --small with a few steps. About 30 s on 2 cores."""
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fashion_mnist  # noqa: E402
import train_reference  # noqa: E402
from models import ConvVQVAE  # noqa: E402
from test_models import CONV_VQVAE_KEYS  # noqa: E402

HAVE_DATA = os.path.isfile(os.path.join(fashion_mnist.DEFAULT_DIR, "train-images-idx3-ubyte.gz"))

# Records what save_file was given, as JSON, in place of the safetensors package (not installed here).
FAKE_SAFETENSORS = textwrap.dedent('''
    import json
    def save_file(tensors, filename, metadata=None):
        out = {"tensors": {k: [str(v.dtype), list(v.shape), v.device.type, v.is_contiguous()]
                           for k, v in tensors.items()}, "metadata": metadata}
        with open(filename, "w") as f:
            json.dump(out, f)
''')


def run(args, env=None):
    p = subprocess.run([sys.executable] + args, cwd=HERE, capture_output=True, text=True, env=env, timeout=600)
    if p.returncode != 0:
        raise AssertionError(f"{args} exited {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p.stdout


class DataOrderTest(unittest.TestCase):
    def test_epochs_are_seeded_permutations_without_the_last_partial_batch(self):
        n, batch = 10, 3
        stream = train_reference.batches(n, batch, seed=0)
        got = [next(stream) for _ in range(7)]
        self.assertEqual([e for e, _ in got], [0, 0, 0, 1, 1, 1, 2])
        g = torch.Generator().manual_seed(0)
        perms = [torch.randperm(n, generator=g) for _ in range(3)]
        for step, (epoch, idx) in enumerate(got):
            i = step % 3
            self.assertEqual(idx.tolist(), perms[epoch][i * batch:(i + 1) * batch].tolist())
        first = torch.cat([idx for e, idx in got if e == 0]).tolist()
        self.assertEqual(len(set(first)), 9)
        other = next(train_reference.batches(n, batch, seed=1))[1]
        self.assertNotEqual(other.tolist(), got[0][1].tolist())


class CheckpointTest(unittest.TestCase):
    def test_checkpoint_tensors(self):
        m = ConvVQVAE(in_channels=1)
        t = train_reference.checkpoint_tensors(m)
        self.assertEqual(list(t.keys()), CONV_VQVAE_KEYS)
        self.assertEqual(t["decoder.8.num_batches_tracked"].dtype, torch.int64)
        self.assertTrue(all(v.is_contiguous() and v.device.type == "cpu" for v in t.values()))
        t32 = train_reference.checkpoint_tensors(m, torch.int32)
        self.assertEqual(t32["encoder.1.num_batches_tracked"].dtype, torch.int32)
        self.assertEqual(t32["encoder.1.running_mean"].dtype, torch.float32)


@unittest.skipUnless(HAVE_DATA, "dataset-fashion-mnist is not installed")
class TrainReferenceTest(unittest.TestCase):
    def test_five_steps_on_cpu(self):
        with tempfile.TemporaryDirectory() as d:
            pkg = os.path.join(d, "fake", "safetensors")
            os.makedirs(pkg)
            open(os.path.join(pkg, "__init__.py"), "w").close()
            with open(os.path.join(pkg, "torch.py"), "w") as f:
                f.write(FAKE_SAFETENSORS)
            env = dict(os.environ, PYTHONPATH=os.path.join(d, "fake"))
            out, saved = os.path.join(d, "r.json"), os.path.join(d, "m.safetensors")
            stdout = run(["train_reference.py", "--device", "cpu", "--steps", "5", "--log-every", "2",
                          "--warmup-steps", "2", "--threads", "2", "--data", fashion_mnist.DEFAULT_DIR,
                          "--out", out, "--save", saved], env)
            self.assertIn("step      2", stdout)
            with open(out) as f:
                r = json.load(f)
            with open(saved) as f:
                s = json.load(f)
        c = r["config"]
        self.assertEqual((c["steps"], c["batch"], c["seed"], c["optimizer"], c["lr"], c["num_embeddings"]),
                         (5, 64, 0, "adam", 1e-3, 512))
        self.assertEqual(r["environment"]["torch"], torch.__version__)
        self.assertEqual([e["step"] for e in r["train"]["log"]], [2, 4, 5])
        self.assertEqual((r["train"]["warmup_steps"], r["train"]["timed_steps"]), (2, 3))
        self.assertGreater(r["train"]["images_per_s"], 0)
        t = r["test"]
        self.assertEqual((t["images"], t["positions"]), (10000, 10000 * 16))
        self.assertEqual(t["active_codes"] + t["dead_codes"], 512)
        self.assertGreaterEqual(t["active_codes"], 1)
        self.assertTrue(1.0 <= t["perplexity"] <= t["active_codes"] + 1e-9)
        # Untrained-ish: the error is far from 0 but below predicting -1 everywhere's worst case (4).
        self.assertTrue(0.0 < t["recon_mse"] < 4.0)
        self.assertEqual(list(s["tensors"].keys()), CONV_VQVAE_KEYS)
        self.assertEqual(s["tensors"]["encoder.1.num_batches_tracked"], ["torch.int64", [], "cpu", True])
        self.assertEqual(s["tensors"]["vq.embedding.weight"], ["torch.float32", [512, 64], "cpu", True])
        self.assertEqual(s["metadata"]["format"], "pt")
        self.assertEqual(json.loads(s["metadata"]["config"])["steps"], 5)


class BenchTrainStepTest(unittest.TestCase):
    def test_small_cpu_eager(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "b.json")
            run(["bench_train_step.py", "--device", "cpu", "--small", "--modes", "eager", "--reps", "3",
                 "--warmup", "1", "--out", out])
            with open(out) as f:
                r = json.load(f)
        self.assertEqual(r["environment"]["threads"], 2)
        (row,) = r["results"]
        self.assertNotIn("error", row)
        self.assertEqual((row["case"], row["mode"], row["input_shape"], row["reps"]),
                         ("fmnist32", "eager", [64, 1, 32, 32], 3))
        self.assertGreater(row["ms_per_step"], 0)
        self.assertAlmostEqual(row["images_per_s"], 64 / (row["ms_per_step"] / 1e3), places=6)
        self.assertLessEqual(row["ms_min"], row["ms_per_step"])

    def test_quick_takes_a_quarter_of_the_batch(self):
        import bench_train_step  # GpuBench --quick uses the same shapes: report.py pairs the two on them
        self.assertEqual(bench_train_step.case_shape("vae512", True), (2, 3, 512, 512))
        self.assertEqual(bench_train_step.case_shape("vqvae256", True), (4, 3, 256, 256))
        self.assertEqual(bench_train_step.case_shape("vqvae256", False), (16, 3, 256, 256))
        self.assertTrue(bench_train_step.parse_args(["--quick"]).quick)


if __name__ == "__main__":
    unittest.main()
