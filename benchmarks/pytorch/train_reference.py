#!/usr/bin/env python3
"""Trains the reference conv VQ-VAE on Fashion-MNIST (32x32, one channel) and reports its quality.

    python3 benchmarks/pytorch/train_reference.py --data DIR --device cuda --out result.json \
        [--steps 2000] [--batch 64] [--optimizer adam|adamw] [--schedule constant|onecycle] \
        [--seed 0] [--ema] [--save model.safetensors]

What it does (the reference side of vq4j's model-quality comparison):
  * model: ConvVQVAE(in_channels=1), default hidden (64, 128, 256), D 64, K 512, beta 0.25;
    initialised on the CPU after torch.manual_seed(seed), so every device starts from the same weights.
  * data: the 60,000 training images, pixel / 255, padded 28 -> 32 with 2 zero pixels each side,
    scaled to [-1, 1]. Order: epoch e uses torch.randperm(60000, generator=g) where g is one CPU
    torch.Generator seeded with the seed and drawn once per epoch, in epoch order; a step takes the
    next `batch` indices of the permutation; the last partial batch of an epoch is dropped.
  * optimizer: Adam (or AdamW, weight decay 0.01) at lr 1e-3, constant or OneCycle (max_lr = lr over
    all the steps, PyTorch's OneCycleLR defaults otherwise).
  * logs every --log-every steps the mean loss, recon and vq terms and batch perplexity since the last log.
  * speed: training images/s over the steps after the first --warmup-steps (20), wall clock with CUDA
    synchronised at both ends; the logging syncs are inside that window (one per --log-every steps).
  * test: the 10,000 test images in eval mode (BatchNorm running statistics): reconstruction MSE
    (mean over pixels, on the [-1, 1] scale), perplexity exp(-sum p log p) of the code usage over the
    whole test set (p = count / positions), active codes (used at least once) and dead codes.
  * --out FILE: JSON with the config, torch version, device, math settings, the log, speed and test metrics.
  * --save FILE: safetensors of the state_dict for vq4j (num_batches_tracked stays int64, or int32
    with --counter-dtype int32), metadata: format pt, model, config (JSON).
"""
import argparse
import json
import math
import os
import platform
import sys
import time
import warnings

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fashion_mnist  # noqa: E402
from models import ConvVQVAE  # noqa: E402


def _new_precision_api():
    """PyTorch >= 2.9 sets TF32 through fp32_precision; mixing it with allow_tf32 is an error there."""
    conv = getattr(torch.backends.cudnn, "conv", None)
    return conv is not None and hasattr(conv, "fp32_precision") and hasattr(torch.backends.cuda.matmul,
                                                                            "fp32_precision")


def set_tf32(mode):
    """mode 'default' leaves PyTorch's defaults (TF32 convolutions, FP32 matmuls); 'on' / 'off' sets
    both convolutions and matmuls. vq4j's own default is full FP32 (like 'off')."""
    if mode == "default":
        return
    on = mode == "on"
    if _new_precision_api():
        torch.backends.cudnn.conv.fp32_precision = "tf32" if on else "ieee"
        torch.backends.cuda.matmul.fp32_precision = "tf32" if on else "ieee"
    else:
        torch.backends.cudnn.allow_tf32 = on
        torch.backends.cuda.matmul.allow_tf32 = on


def math_settings():
    """The math settings in force, for the JSON (read with the API that matches the PyTorch)."""
    out = {"cudnn_benchmark": torch.backends.cudnn.benchmark, "cudnn_deterministic": torch.backends.cudnn.deterministic}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if _new_precision_api():
                out["conv_fp32_precision"] = str(torch.backends.cudnn.conv.fp32_precision)
                out["matmul_fp32_precision"] = str(torch.backends.cuda.matmul.fp32_precision)
            else:
                out["cudnn_allow_tf32"] = bool(torch.backends.cudnn.allow_tf32)
                out["matmul_allow_tf32"] = bool(torch.backends.cuda.matmul.allow_tf32)
        except Exception as e:  # a settings read must never stop a run
            out["error"] = repr(e)
    return out


def environment(device):
    env = {"torch": torch.__version__, "python": platform.python_version(), "device": str(device),
           "threads": torch.get_num_threads()}
    if device.type == "cuda":
        env["cuda"] = torch.version.cuda
        env["cudnn"] = torch.backends.cudnn.version()
        env["device_name"] = torch.cuda.get_device_name(device)
    else:
        env["device_name"] = platform.processor() or platform.machine()
    return env


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def pick_device(name):
    if name == "cuda" and not torch.cuda.is_available():
        sys.exit("train_reference: --device cuda but torch.cuda.is_available() is False")
    return torch.device(name)


def write_json(path, obj):
    """Writes through a temporary file, so a crash never leaves half a result."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def checkpoint_tensors(model, counter_dtype=torch.int64):
    """The state_dict on the CPU, contiguous (safetensors wants both); BatchNorm's num_batches_tracked
    (int64 in PyTorch) kept as is, or cast to counter_dtype (int32 for readers without I64)."""
    out = {}
    for k, v in model.state_dict().items():
        v = v.detach().to("cpu").contiguous()
        if k.endswith("num_batches_tracked") and v.dtype != counter_dtype:
            v = v.to(counter_dtype)
        out[k] = v
    return out


def save_safetensors(model, path, metadata, counter_dtype=torch.int64):
    try:
        from safetensors.torch import save_file
    except ImportError:
        sys.exit("train_reference: --save needs the safetensors package")
    tensors = checkpoint_tensors(model, counter_dtype)
    save_file(tensors, path, metadata={k: str(v) for k, v in metadata.items()})


def batches(n, batch, seed, device=None):
    """Endless (epoch, index tensor) stream: one seeded randperm per epoch, last partial batch dropped.
    The permutation is drawn on the CPU (the same order on every device) and moved to the device once
    per epoch, so taking a batch never waits for the GPU."""
    g = torch.Generator().manual_seed(seed)
    epoch = 0
    while True:
        perm = torch.randperm(n, generator=g)
        if device is not None:
            perm = perm.to(device)
        for i in range(n // batch):
            yield epoch, perm[i * batch:(i + 1) * batch]
        epoch += 1


def make_optimizer(model, args):
    params = [p for p in model.parameters() if p.requires_grad]
    if args.optimizer == "adamw":
        opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)
    else:
        opt = torch.optim.Adam(params, lr=args.lr)
    sched = None
    if args.schedule == "onecycle":
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps)
    return opt, sched


def train(model, train_x, args, device):
    opt, sched = make_optimizer(model, args)
    model.train()
    warmup = min(args.warmup_steps, args.steps - 1)
    log, sums, since = [], None, 0
    t0 = time.perf_counter() if warmup == 0 else None
    stream = batches(train_x.shape[0], args.batch, args.seed, device)
    last = {}
    for step in range(1, args.steps + 1):
        if step == warmup + 1 and warmup > 0:
            sync(device)
            t0 = time.perf_counter()
        epoch, idx = next(stream)
        x = train_x[idx]
        lr = opt.param_groups[0]["lr"]  # the rate this step uses (the scheduler moves it after)
        _, loss, ex = model(x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        # Running sums stay on the device: no sync until a log line is printed.
        terms = torch.stack([loss.detach(), ex["recon"].detach(), ex["vq"].detach(), ex["perplexity"]])
        sums = terms if sums is None else sums + terms
        since += 1
        if step % args.log_every == 0 or step == args.steps:
            m = (sums / since).tolist()
            last = {"step": step, "epoch": epoch, "lr": lr, "loss": m[0], "recon": m[1],
                    "vq": m[2], "perplexity": m[3]}
            log.append(last)
            print(f"step {step:6d} epoch {epoch:3d} lr {last['lr']:.2e} loss {m[0]:.5f} recon {m[1]:.5f} "
                  f"vq {m[2]:.5f} perplexity {m[3]:.1f}", flush=True)
            sums, since = None, 0
    sync(device)
    seconds = time.perf_counter() - t0
    timed = args.steps - warmup
    speed = {"warmup_steps": warmup, "timed_steps": timed, "timed_seconds": seconds,
             "images_per_s": timed * args.batch / seconds if seconds > 0 else None}
    return log, last, speed


@torch.no_grad()
def evaluate(model, test_x, k, batch, device):
    model.eval()
    sse = torch.zeros((), dtype=torch.float64, device=device)
    vq = torch.zeros((), dtype=torch.float64, device=device)
    counts = torch.zeros(k, dtype=torch.int64, device=device)
    for i in range(0, test_x.shape[0], batch):
        x = test_x[i:i + batch]
        x_hat, _, ex = model(x)
        sse += (x_hat.double() - x.double()).pow(2).sum()
        vq += ex["vq"].double() * x.shape[0]
        counts += torch.bincount(ex["indices"].reshape(-1), minlength=k)
    counts = counts.cpu()
    total = int(counts.sum())
    p = counts.double() / total
    entropy = -float(torch.sum(torch.where(p > 0, p * torch.log(p), torch.zeros_like(p))))
    return {"images": int(test_x.shape[0]), "recon_mse": float(sse) / test_x.numel(),
            "vq_loss": float(vq) / test_x.shape[0], "perplexity": math.exp(entropy),
            "active_codes": int((counts > 0).sum()), "dead_codes": int((counts == 0).sum()),
            "positions": total}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=fashion_mnist.DEFAULT_DIR, help="folder with the Fashion-MNIST IDX files")
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--optimizer", default="adam", choices=["adam", "adamw"])
    ap.add_argument("--weight-decay", type=float, default=0.01, help="AdamW only")
    ap.add_argument("--schedule", default="constant", choices=["constant", "onecycle"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--hidden", type=int, nargs="+", default=[64, 128, 256])
    ap.add_argument("--embedding-dim", type=int, default=64)
    ap.add_argument("--num-embeddings", type=int, default=512)
    ap.add_argument("--beta", type=float, default=0.25)
    ap.add_argument("--ema", action="store_true", help="EMA codebook (decay 0.99, eps 1e-5)")
    ap.add_argument("--log-every", type=int, default=100)
    ap.add_argument("--warmup-steps", type=int, default=20, help="steps left out of the images/s timing")
    ap.add_argument("--eval-batch", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: PyTorch's default)")
    ap.add_argument("--tf32", default="default", choices=["default", "on", "off"])
    ap.add_argument("--deterministic", action="store_true", help="deterministic cuDNN algorithms")
    ap.add_argument("--out", help="JSON result file")
    ap.add_argument("--save", help="safetensors file for the trained state_dict")
    ap.add_argument("--counter-dtype", default="int64", choices=["int64", "int32"],
                    help="dtype of num_batches_tracked in --save (PyTorch's is int64)")
    args = ap.parse_args(argv)
    for name in ("steps", "batch", "log_every", "eval_batch"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.warmup_steps < 0:
        ap.error(f"--warmup-steps must be >= 0, got {args.warmup_steps}")
    return args


def main(argv=None):
    args = parse_args(argv)
    device = pick_device(args.device)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    set_tf32(args.tf32)
    if args.deterministic:
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False

    train_x, _ = fashion_mnist.load(args.data, "train")
    test_x, _ = fashion_mnist.load(args.data, "test")
    if args.batch > train_x.shape[0]:
        sys.exit(f"train_reference: --batch {args.batch} is larger than the {train_x.shape[0]} training images")
    train_x, test_x = train_x.to(device), test_x.to(device)

    torch.manual_seed(args.seed)
    model = ConvVQVAE(in_channels=1, hidden=tuple(args.hidden), embedding_dim=args.embedding_dim,
                      num_embeddings=args.num_embeddings, beta=args.beta, ema=args.ema).to(device)
    config = {"model": "ConvVQVAE", "in_channels": 1, "image_size": 32, "hidden": args.hidden,
              "embedding_dim": args.embedding_dim, "num_embeddings": args.num_embeddings, "beta": args.beta,
              "ema": args.ema, "steps": args.steps, "batch": args.batch, "lr": args.lr, "optimizer": args.optimizer,
              "weight_decay": args.weight_decay if args.optimizer == "adamw" else 0.0, "schedule": args.schedule,
              "seed": args.seed, "data_order": "randperm per epoch from torch.Generator(seed), drop last",
              "input_range": [-1, 1], "pad": 2}
    env = environment(device)
    print(f"train_reference: torch {env['torch']} on {env['device_name']}, {args.steps} steps of {args.batch}, "
          f"{args.optimizer} lr {args.lr} {args.schedule}, seed {args.seed}", flush=True)

    log, last, speed = train(model, train_x, args, device)
    print(f"train: {speed['images_per_s']:.1f} images/s over {speed['timed_steps']} steps" if speed["images_per_s"]
          else "train: too few steps to time", flush=True)
    test = evaluate(model, test_x, args.num_embeddings, args.eval_batch, device)
    print(f"test: recon MSE {test['recon_mse']:.6f}, perplexity {test['perplexity']:.1f}, "
          f"active codes {test['active_codes']}/{args.num_embeddings}", flush=True)

    result = {"config": config, "environment": env, "math": math_settings(), "train": {"final": last, "log": log,
              **speed}, "test": test}
    if args.save:
        save_safetensors(model, args.save, {"format": "pt", "model": "ConvVQVAE", "config": json.dumps(config)},
                         torch.int64 if args.counter_dtype == "int64" else torch.int32)
        result["saved"] = args.save
        print(f"saved {args.save}", flush=True)
    if args.out:
        write_json(args.out, result)
        print(f"wrote {args.out}", flush=True)
    return result


if __name__ == "__main__":
    main()
