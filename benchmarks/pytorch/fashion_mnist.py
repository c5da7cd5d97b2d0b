"""Fashion-MNIST from its IDX files, read by hand (nothing is downloaded).

The files are {train,t10k}-{images-idx3,labels-idx1}-ubyte, gzipped or not, in one folder: the Debian
package dataset-fashion-mnist puts them in /usr/share/datasets/fashion-mnist; elsewhere pass the
folder (--data DIR).

The reference preprocessing (the same as vq4j's FashionMnist at size 32): pixel / 255, then 2 zero
pixels padded on each side (28 -> 32, so three stride-2 convs give a 4x4 latent), then, for the conv
models, x * 2 - 1 into [-1, 1] (a padded pixel becomes -1, the background's value).
"""
import gzip
import os
import struct

import numpy as np
import torch

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
SPLITS = {"train": ("train", 60000), "test": ("t10k", 10000)}

# IDX type byte -> big-endian numpy dtype.
_IDX_DTYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
               0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path):
    """Reads one IDX file (gzipped when its name ends in .gz) into a native-endian numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: not an IDX file (the first two bytes must be 0, got {data[:2].hex()})")
    type_code, ndim = data[2], data[3]
    if type_code not in _IDX_DTYPES:
        raise ValueError(f"{path}: unknown IDX element type 0x{type_code:02x}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated header ({len(data)} bytes for {ndim} dimensions)")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = _IDX_DTYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(f"{path}: {len(data) - header} bytes of data, shape {shape} of {dtype} needs {expected}")
    arr = np.frombuffer(data, dtype=dtype, count=int(np.prod(shape, dtype=np.int64)), offset=header)
    return arr.reshape(shape).astype(dtype.newbyteorder("="))


def _find(data_dir, name):
    for p in (os.path.join(data_dir, name + ".gz"), os.path.join(data_dir, name)):
        if os.path.isfile(p):
            return p
    raise FileNotFoundError(f"{os.path.join(data_dir, name)}[.gz] not found; pass the folder holding the "
                            f"Fashion-MNIST IDX files (apt-get install dataset-fashion-mnist puts them in {DEFAULT_DIR})")


def load_split(data_dir, split, check_count=True):
    """(images uint8 [N, 28, 28], labels int64 [N]) of split 'train' (60,000) or 'test' (10,000)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {sorted(SPLITS)}, got {split!r}")
    prefix, count = SPLITS[split]
    images = read_idx(_find(data_dir, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(_find(data_dir, f"{prefix}-labels-idx1-ubyte"))
    if images.ndim != 3 or labels.ndim != 1 or images.dtype != np.uint8:
        raise ValueError(f"{split}: images {images.shape} {images.dtype}, labels {labels.shape}: "
                         "expected uint8 [N, H, W] and [N]")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{split}: {images.shape[0]} images but {labels.shape[0]} labels")
    if check_count and images.shape[0] != count:
        raise ValueError(f"{split}: {images.shape[0]} images, Fashion-MNIST has {count}")
    return images, labels.astype(np.int64)


def to_tensor(images, pad=2, signed=True):
    """uint8 [N, H, W] -> float32 [N, 1, H + 2 pad, W + 2 pad]: /255, zero-padded, then into [-1, 1]
    when signed (conv models), else left in [0, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(images)).to(torch.float32).div_(255.0).unsqueeze(1)
    if pad:
        x = torch.nn.functional.pad(x, (pad, pad, pad, pad))
    if signed:
        x = x.mul_(2.0).sub_(1.0)
    return x


def load(data_dir=DEFAULT_DIR, split="train", pad=2, signed=True, check_count=True):
    """(images float32 [N, 1, 32, 32] (pad 2), labels int64 [N]) with the reference preprocessing."""
    images, labels = load_split(data_dir, split, check_count)
    return to_tensor(images, pad, signed), torch.from_numpy(labels)
