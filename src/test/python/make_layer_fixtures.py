#!/usr/bin/env python3
"""Writes PyTorch reference cases for vq4j's layer ops (LayerFixturesTest reads them).

Each case runs one PyTorch layer in float32 on small seeded inputs and records the inputs, the
parameters, the output and, for the loss sum(out * g) with a fixed random g, the gradients.
Inputs are drawn on the CPU from a seeded generator and then moved to --device, so every device
and PyTorch version sees the same inputs.

Output, under --out (default: src/test/resources/fixtures/layers next to this script's tree):
  index.txt   one line per case and per tensor:
                case <name> <layer> key=value ...
                tensor <case> <tensor> <d0,d1,...> <offset>
              offset counts float32 values from the start of <case>.bin; '#' starts a comment.
  <case>.bin  the case's tensors, float32 little-endian, C order, one after another.

Run:  python3 make_layer_fixtures.py --device cpu     (or --device cuda)
Only plain, long-standing torch APIs are used (torch.nn.functional, autograd), so any PyTorch
from 1.13 on gives the same files up to float rounding. TF32 is off; algorithms deterministic.
"""
import argparse
import os
import struct
import sys

# Deterministic cuBLAS needs this set before CUDA starts.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

SEED = 20240601


def configure(device):
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.use_deterministic_algorithms(True, warn_only=True)
    if device == "cuda" and not torch.cuda.is_available():
        sys.exit("make_layer_fixtures: --device cuda but torch.cuda.is_available() is False")


class Case:
    """Collects one case's tensors in order, with its layer name and parameters."""

    def __init__(self, name, layer, **params):
        self.name, self.layer, self.params = name, layer, params
        self.tensors = []

    def add(self, tensor_name, t):
        self.tensors.append((tensor_name, t.detach().to("cpu", torch.float32).contiguous()))


class Inputs:
    """Seeded float32 draws on the CPU, moved to the device."""

    def __init__(self, device, seed):
        self.device = device
        self.gen = torch.Generator().manual_seed(seed)

    def normal(self, *shape, scale=1.0, offset=0.0):
        t = torch.randn(*shape, generator=self.gen, dtype=torch.float32) * scale + offset
        return t.to(self.device)

    def uniform(self, *shape, lo=0.0, hi=1.0):
        t = torch.rand(*shape, generator=self.gen, dtype=torch.float32) * (hi - lo) + lo
        return t.to(self.device)


def leaf(t):
    return t.clone().requires_grad_(True)


def conv_case(name, rnd, x_shape, w_shape, stride, padding):
    x, w, b = leaf(rnd.normal(*x_shape)), leaf(rnd.normal(*w_shape, scale=0.5)), leaf(rnd.normal(w_shape[0]))
    out = F.conv2d(x, w, b, stride=stride, padding=padding)
    g = rnd.normal(*out.shape)
    (out * g).sum().backward()
    c = Case(name, "conv2d", stride=stride, padding=padding)
    for n, t in (("x", x), ("weight", w), ("bias", b), ("out", out), ("g", g),
                 ("dx", x.grad), ("dweight", w.grad), ("dbias", b.grad)):
        c.add(n, t)
    return c


def conv_transpose_case(name, rnd, x_shape, w_shape, stride, padding, output_padding):
    # weight is [in, out, kH, kW]
    x, w, b = leaf(rnd.normal(*x_shape)), leaf(rnd.normal(*w_shape, scale=0.5)), leaf(rnd.normal(w_shape[1]))
    out = F.conv_transpose2d(x, w, b, stride=stride, padding=padding, output_padding=output_padding)
    g = rnd.normal(*out.shape)
    (out * g).sum().backward()
    c = Case(name, "convTranspose2d", stride=stride, padding=padding, outputPadding=output_padding)
    for n, t in (("x", x), ("weight", w), ("bias", b), ("out", out), ("g", g),
                 ("dx", x.grad), ("dweight", w.grad), ("dbias", b.grad)):
        c.add(n, t)
    return c


def batch_norm_train_case(name, rnd, x_shape, momentum, eps):
    ch = x_shape[1]
    x = leaf(rnd.normal(*x_shape, scale=2.0, offset=0.5))
    gamma, beta = leaf(rnd.uniform(ch, lo=0.5, hi=1.5)), leaf(rnd.normal(ch))
    rm0, rv0 = rnd.normal(ch), rnd.uniform(ch, lo=0.5, hi=2.0)
    rm, rv = rm0.clone(), rv0.clone()
    out = F.batch_norm(x, rm, rv, gamma, beta, training=True, momentum=momentum, eps=eps)
    g = rnd.normal(*out.shape)
    (out * g).sum().backward()
    # The batch statistics a backward needs (what PyTorch and cuDNN save), from x in float64.
    xd = x.detach().double()
    mean = xd.mean(dim=(0, 2, 3))
    var = ((xd - mean[None, :, None, None]) ** 2).mean(dim=(0, 2, 3))  # biased, as for normalising
    c = Case(name, "batchNorm2dTrain", momentum=momentum, eps=eps)
    for n, t in (("x", x), ("gamma", gamma), ("beta", beta), ("runningMean", rm0), ("runningVar", rv0),
                 ("out", out), ("saveMean", mean), ("saveInvstd", 1.0 / torch.sqrt(var + eps)),
                 ("runningMeanAfter", rm), ("runningVarAfter", rv), ("g", g),
                 ("dx", x.grad), ("dgamma", gamma.grad), ("dbeta", beta.grad)):
        c.add(n, t)
    return c


def batch_norm_eval_case(name, rnd, x_shape, eps):
    ch = x_shape[1]
    x = rnd.normal(*x_shape, scale=1.5, offset=-0.3)
    gamma, beta = rnd.uniform(ch, lo=0.5, hi=1.5), rnd.normal(ch)
    rm, rv = rnd.normal(ch), rnd.uniform(ch, lo=0.5, hi=2.0)
    out = F.batch_norm(x, rm.clone(), rv.clone(), gamma, beta, training=False, eps=eps)
    c = Case(name, "batchNorm2dEval", eps=eps)
    for n, t in (("x", x), ("gamma", gamma), ("beta", beta), ("runningMean", rm), ("runningVar", rv), ("out", out)):
        c.add(n, t)
    return c


def activation_case(name, rnd, layer, fn, x_shape, **params):
    x = leaf(rnd.normal(*x_shape, scale=2.0))
    out = fn(x)
    g = rnd.normal(*out.shape)
    (out * g).sum().backward()
    c = Case(name, layer, **params)
    for n, t in (("x", x), ("out", out), ("g", g), ("dx", x.grad)):
        c.add(n, t)
    return c


def linear_case(name, rnd, n, fin, fout):
    x, w, b = leaf(rnd.normal(n, fin)), leaf(rnd.normal(fout, fin, scale=0.5)), leaf(rnd.normal(fout))
    out = F.linear(x, w, b)
    g = rnd.normal(*out.shape)
    (out * g).sum().backward()
    c = Case(name, "linear")
    for nm, t in (("x", x), ("weight", w), ("bias", b), ("out", out), ("g", g),
                  ("dx", x.grad), ("dweight", w.grad), ("dbias", b.grad)):
        c.add(nm, t)
    return c


def build(device):
    makers = [
        lambda r: conv_case("conv2d_3x3_s2_p1", r, (2, 3, 9, 7), (4, 3, 3, 3), 2, 1),
        lambda r: conv_case("conv2d_1x1", r, (2, 5, 4, 3), (6, 5, 1, 1), 1, 0),
        lambda r: conv_transpose_case("convTranspose2d_3x3_s2_p1_op1", r, (2, 4, 5, 3), (4, 3, 3, 3), 2, 1, 1),
        lambda r: conv_transpose_case("convTranspose2d_1x1", r, (1, 3, 4, 5), (3, 2, 1, 1), 1, 0, 0),
        lambda r: batch_norm_train_case("batchNorm2d_train", r, (3, 4, 5, 5), 0.1, 1e-5),
        lambda r: batch_norm_eval_case("batchNorm2d_eval", r, (2, 4, 3, 3), 1e-5),
        lambda r: activation_case("leakyRelu_0.2", r, "leakyRelu", lambda x: F.leaky_relu(x, 0.2), (2, 3, 4, 5),
                                  slope=0.2),
        lambda r: activation_case("relu", r, "relu", F.relu, (2, 3, 4, 5)),
        lambda r: activation_case("tanh", r, "tanh", torch.tanh, (2, 3, 4, 5)),
        lambda r: activation_case("sigmoid", r, "sigmoid", torch.sigmoid, (2, 3, 4, 5)),
        lambda r: linear_case("linear", r, 5, 7, 3),
    ]
    return [make(Inputs(device, SEED + i)) for i, make in enumerate(makers)]


def write(cases, out_dir, device):
    os.makedirs(out_dir, exist_ok=True)
    lines = [
        "# vq4j layer fixtures, written by src/test/python/make_layer_fixtures.py",
        "# torch %s, device %s" % (torch.__version__, device),
        "# case <name> <layer> key=value ... | tensor <case> <tensor> <shape> <offset in floats into <case>.bin>",
    ]
    for c in cases:
        params = " ".join("%s=%r" % kv for kv in c.params.items())
        lines.append(("case %s %s %s" % (c.name, c.layer, params)).rstrip())
        offset = 0
        with open(os.path.join(out_dir, c.name + ".bin"), "wb") as f:
            for n, t in c.tensors:
                values = t.flatten().tolist()
                f.write(struct.pack("<%df" % len(values), *values))
                shape = ",".join(str(d) for d in t.shape) if t.dim() > 0 else "1"
                lines.append("tensor %s %s %s %d" % (c.name, n, shape, offset))
                offset += len(values)
    with open(os.path.join(out_dir, "index.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.normpath(os.path.join(here, "..", "resources", "fixtures", "layers"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--out", default=default_out)
    args = ap.parse_args()
    configure(args.device)
    cases = build(torch.device(args.device))
    write(cases, args.out, args.device)
    print("wrote %d cases to %s (torch %s, %s)" % (len(cases), args.out, torch.__version__, args.device))


if __name__ == "__main__":
    main()
