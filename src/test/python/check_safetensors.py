"""Interop check of vq4j's safetensors files against the Python safetensors library and torch.

Usage (from the repository root):
    ./jdk25 mvn -q test -Dtest=SafeTensorsInteropTest   # writes target/safetensors-interop/
    python3 src/test/python/check_safetensors.py target/safetensors-interop
    ./jdk25 mvn -q test -Dtest=SafeTensorsInteropTest   # reads python.safetensors back
(SafeTensorsInteropTest runs this script itself when python3 can import safetensors; set
-Dvq4j.python=/path/to/python to pick the interpreter.)

The directory holds vq4j.safetensors and, per tensor, NAME.npy with the same values, both written
by vq4j. This script
  1. loads vq4j.safetensors with safetensors.torch and compares each tensor to its .npy bit for
     bit (dtype, shape, values including NaN payloads and -0.0), and the metadata;
  2. checks that the file is byte-identical to what safetensors.torch.save makes of the same
     tensors and metadata;
  3. writes python.safetensors (the same tensors, plus 'python.arange' = arange(10).reshape(2, 5)
     as int32, with metadata format=pt, writer=python) for the Java side to read.
It exits non-zero saying what differs. Without torch it uses safetensors.numpy and says so.
"""
import os
import sys

import numpy as np
from safetensors import safe_open

try:
    import torch
    from safetensors.torch import load_file, save, save_file
    to_numpy, from_numpy, flavour = (lambda t: t.numpy()), torch.from_numpy, "torch " + torch.__version__
except ImportError:
    from safetensors.numpy import load_file, save, save_file
    to_numpy, from_numpy, flavour = (lambda a: a), (lambda a: a), "numpy (torch is not installed)"

METADATA = {"format": "pt"}


def check(ok, message):
    if not ok:
        sys.exit("check_safetensors: FAILED: " + message)


def main(directory):
    path = os.path.join(directory, "vq4j.safetensors")
    loaded = load_file(path)
    with safe_open(path, framework="np") as f:
        metadata = f.metadata() or {}
    expected = {n[:-len(".npy")]: np.load(os.path.join(directory, n))
                for n in os.listdir(directory) if n.endswith(".npy")}
    check(sorted(loaded) == sorted(expected), f"tensor names {sorted(loaded)} != .npy files {sorted(expected)}")
    check(metadata == METADATA, f"metadata {metadata} != {METADATA}")
    for name, ref in expected.items():
        got = to_numpy(loaded[name])
        check(got.dtype == ref.dtype and got.shape == ref.shape,
              f"{name}: {got.dtype}{list(got.shape)} != {ref.dtype}{list(ref.shape)}")
        check(np.array_equal(got.view(np.uint32), ref.view(np.uint32)), f"{name}: values differ")

    with open(path, "rb") as f:
        ours = f.read()
    theirs = save({k: from_numpy(v) for k, v in expected.items()}, metadata=METADATA)
    check(ours == theirs, f"vq4j.safetensors ({len(ours)} bytes) is not byte-identical to the library's "
                          f"output ({len(theirs)} bytes); headers:\n {ours[8:200]}\n {theirs[8:200]}")

    out = {k: from_numpy(v.copy()) for k, v in expected.items()}
    out["python.arange"] = from_numpy(np.arange(10, dtype=np.int32).reshape(2, 5))
    save_file(out, os.path.join(directory, "python.safetensors"), metadata={"format": "pt", "writer": "python"})
    print(f"check_safetensors: ok: {len(expected)} tensors match bit for bit, file byte-identical, "
          f"python.safetensors written ({flavour})")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
