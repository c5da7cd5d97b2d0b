"""Loads a vq4j checkpoint into benchmarks/pytorch/models.py's ConvVQVAE(1) with load_state_dict(strict=True),
without the safetensors package (the format is read by hand), and prints its Fashion-MNIST test MSE,
to compare with `vq4j evaluate --model FILE`. Usage: python3 check_checkpoint_interop.py model.safetensors
"""
import json, struct, sys
import numpy as np, torch
sys.path.insert(0, "/work/main/benchmarks/pytorch")
import models, fashion_mnist

def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n]); base = 8 + n
    meta = header.pop("__metadata__", {})
    dt = {"F32": np.float32, "I32": np.int32, "I64": np.int64}
    out = {}
    for k, v in header.items():
        b, e = v["data_offsets"]
        a = np.frombuffer(raw[base + b: base + e], dtype=dt[v["dtype"]]).reshape(v["shape"])
        out[k] = torch.from_numpy(a.copy())
    return out, meta

state, meta = read_safetensors(sys.argv[1])
print("metadata:", meta["vq4j.model"], meta["vq4j.input"])
m = models.ConvVQVAE(1)
missing = m.load_state_dict(state, strict=True)
print("load_state_dict(strict=True):", missing)
m.eval()
x, _ = fashion_mnist.load("/usr/share/datasets/fashion-mnist", "test")
torch.set_num_threads(2)
sse, n = 0.0, 0
with torch.no_grad():
    for i in range(0, x.shape[0], 500):
        xb = x[i:i + 500]
        xh, _, _ = m(xb)
        sse += float(((xh.double() - xb.double()) ** 2).sum()); n += xb.numel()
print("PyTorch test recon MSE of the vq4j checkpoint:", sse / n)
