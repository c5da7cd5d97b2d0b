"""CPU tests of fashion_mnist.py: the IDX reader on small files written here byte by byte, the
preprocessing, and (when the Debian package's files are present) the real dataset's counts."""
import gzip
import os
import random
import struct
import sys
import tempfile
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fashion_mnist  # noqa: E402


def idx_bytes(type_code, dims, payload):
    """An IDX file: 0, 0, type, ndim, big-endian uint32 dims, then the big-endian payload bytes."""
    return bytes([0, 0, type_code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload


def write(path, data, gz):
    with (gzip.open if gz else open)(path, "wb") as f:
        f.write(data)


class IdxTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.rng = random.Random(42)

    def tearDown(self):
        self.dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def test_ubyte_images_gz_and_plain(self):
        n, h, w = 3, 4, 5
        values = [self.rng.randrange(256) for _ in range(n * h * w)]
        for gz in (True, False):
            p = self.path("img.gz" if gz else "img")
            write(p, idx_bytes(0x08, [n, h, w], bytes(values)), gz)
            arr = fashion_mnist.read_idx(p)
            self.assertEqual(arr.shape, (n, h, w))
            self.assertEqual(arr.dtype, np.uint8)
            # Row-major: element (i, r, c) is byte i*h*w + r*w + c.
            for i in range(n):
                for r in range(h):
                    for c in range(w):
                        self.assertEqual(int(arr[i, r, c]), values[i * h * w + r * w + c])

    def test_big_endian_int32_and_float32(self):
        ints = [1, -2, 70000, -(2 ** 31)]
        p = self.path("i32")
        write(p, idx_bytes(0x0C, [4], b"".join(struct.pack(">i", v) for v in ints)), False)
        self.assertEqual(fashion_mnist.read_idx(p).tolist(), ints)
        floats = [0.5, -3.25, 1e-3]
        p = self.path("f32.gz")
        write(p, idx_bytes(0x0D, [3, 1], b"".join(struct.pack(">f", v) for v in floats)), True)
        got = fashion_mnist.read_idx(p)
        self.assertEqual(got.shape, (3, 1))
        self.assertEqual(got.dtype.byteorder in "=|<", True)
        self.assertEqual([round(float(v), 6) for v in got[:, 0]], [0.5, -3.25, 0.001])

    def test_bad_files(self):
        p = self.path("bad")
        write(p, b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00", False)
        with self.assertRaisesRegex(ValueError, "not an IDX file"):
            fashion_mnist.read_idx(p)
        write(p, idx_bytes(0x08, [5], b"\x00\x01"), False)
        with self.assertRaisesRegex(ValueError, "2 bytes of data"):
            fashion_mnist.read_idx(p)
        write(p, idx_bytes(0x07, [1], b"\x00"), False)
        with self.assertRaisesRegex(ValueError, "unknown IDX element type"):
            fashion_mnist.read_idx(p)
        write(p, bytes([0, 0, 8, 3, 0, 0]), False)
        with self.assertRaisesRegex(ValueError, "truncated header"):
            fashion_mnist.read_idx(p)

    def write_split(self, prefix, n_images, n_labels, gz=True):
        pixels = bytes(self.rng.randrange(256) for _ in range(n_images * 28 * 28))
        labels = bytes(self.rng.randrange(10) for _ in range(n_labels))
        ext = ".gz" if gz else ""
        write(self.path(f"{prefix}-images-idx3-ubyte{ext}"), idx_bytes(0x08, [n_images, 28, 28], pixels), gz)
        write(self.path(f"{prefix}-labels-idx1-ubyte{ext}"), idx_bytes(0x08, [n_labels], labels), gz)
        return pixels, labels

    def test_load_and_preprocess(self):
        pixels, labels = self.write_split("t10k", 2, 2, gz=False)
        x, y = fashion_mnist.load(self.dir.name, "test", check_count=False)
        self.assertEqual(list(x.shape), [2, 1, 32, 32])
        self.assertEqual(x.dtype, torch.float32)
        self.assertEqual(y.tolist(), list(labels))
        # Border: 2 padded zero pixels each side, which is -1 on the [-1, 1] scale.
        border = torch.ones(32, 32, dtype=torch.bool)
        border[2:30, 2:30] = False
        self.assertTrue(bool((x[:, 0][:, border] == -1).all()))
        for i in range(2):
            for r in range(28):
                for c in range(28):
                    v = pixels[i * 784 + r * 28 + c]
                    self.assertAlmostEqual(float(x[i, 0, r + 2, c + 2]), v / 255 * 2 - 1, places=6)
        u, _ = fashion_mnist.load(self.dir.name, "test", signed=False, check_count=False)
        self.assertAlmostEqual(float(u[1, 0, 2 + 27, 2 + 5]), pixels[784 + 27 * 28 + 5] / 255, places=6)
        self.assertEqual(float(u[0, 0, 0, 0]), 0.0)

    def test_load_checks(self):
        self.write_split("train", 3, 2)
        with self.assertRaisesRegex(ValueError, "3 images but 2 labels"):
            fashion_mnist.load(self.dir.name, "train", check_count=False)
        self.write_split("t10k", 2, 2)
        with self.assertRaisesRegex(ValueError, "Fashion-MNIST has 10000"):
            fashion_mnist.load(self.dir.name, "test")
        with self.assertRaisesRegex(ValueError, "split must be"):
            fashion_mnist.load(self.dir.name, "valid")
        with self.assertRaises(FileNotFoundError):
            fashion_mnist.load(os.path.join(self.dir.name, "nowhere"), "test")


@unittest.skipUnless(os.path.isfile(os.path.join(fashion_mnist.DEFAULT_DIR, "t10k-images-idx3-ubyte.gz")),
                     "dataset-fashion-mnist is not installed")
class RealFilesTest(unittest.TestCase):
    def test_counts_and_balance(self):
        for split, n in (("train", 60000), ("test", 10000)):
            images, labels = fashion_mnist.load_split(fashion_mnist.DEFAULT_DIR, split)
            self.assertEqual(images.shape, (n, 28, 28))
            # Fashion-MNIST is balanced: n / 10 images per class.
            self.assertEqual(np.bincount(labels, minlength=10).tolist(), [n // 10] * 10)
        x, _ = fashion_mnist.load(fashion_mnist.DEFAULT_DIR, "test")
        self.assertEqual(list(x.shape), [10000, 1, 32, 32])
        self.assertEqual((float(x.min()), float(x.max())), (-1.0, 1.0))


if __name__ == "__main__":
    unittest.main()
