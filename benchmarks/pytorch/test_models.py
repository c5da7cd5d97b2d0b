"""CPU tests of models.py against the model contract: state_dict keys, shapes, losses, VQ and EMA rules.

    cd benchmarks/pytorch && python3 -m unittest -v
Expected values are written out by hand (key lists, shapes) or recomputed here in float64 with plain
loops, never taken from the code under test.
"""
import math
import os
import sys
import unittest

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402
from models import ConvVAE, ConvVQVAE, MlpVAE, MlpVQVAE, VectorQuantizer  # noqa: E402


def bn(prefix):
    return [f"{prefix}.weight", f"{prefix}.bias", f"{prefix}.running_mean", f"{prefix}.running_var",
            f"{prefix}.num_batches_tracked"]


def wb(prefix):
    return [f"{prefix}.weight", f"{prefix}.bias"]


ENCODER_BLOCKS = wb("encoder.0") + bn("encoder.1") + wb("encoder.3") + bn("encoder.4") + wb("encoder.6") + bn("encoder.7")
DECODER = (wb("decoder.0") + wb("decoder.1") + bn("decoder.2") + wb("decoder.4") + bn("decoder.5")
           + wb("decoder.7") + bn("decoder.8"))

CONV_VQVAE_KEYS = ENCODER_BLOCKS + wb("encoder.9") + ["vq.embedding.weight"] + DECODER
CONV_VQVAE_EMA_KEYS = ENCODER_BLOCKS + wb("encoder.9") + ["vq.ema_cluster_size", "vq.ema_w",
                                                          "vq.embedding.weight"] + DECODER
CONV_VAE_KEYS = ENCODER_BLOCKS + wb("conv_mu") + wb("conv_logvar") + DECODER
MLP_VQVAE_KEYS = (wb("encoder.0") + wb("encoder.2") + wb("encoder.4") + ["vq.embedding.weight"]
                  + wb("decoder.0") + wb("decoder.2") + wb("decoder.4"))
MLP_VAE_KEYS = wb("encoder.0") + wb("fc_mu") + wb("fc_logvar") + wb("decoder.0") + wb("decoder.2")


def shapes(model):
    return {k: list(v.shape) for k, v in model.state_dict().items()}


class StateDictTest(unittest.TestCase):
    def test_conv_vqvae_keys_and_shapes(self):
        m = ConvVQVAE(in_channels=1)
        self.assertEqual(list(m.state_dict().keys()), CONV_VQVAE_KEYS)
        s = shapes(m)
        self.assertEqual(s["encoder.0.weight"], [64, 1, 3, 3])
        self.assertEqual(s["encoder.3.weight"], [128, 64, 3, 3])
        self.assertEqual(s["encoder.6.weight"], [256, 128, 3, 3])
        self.assertEqual(s["encoder.9.weight"], [64, 256, 1, 1])
        self.assertEqual(s["vq.embedding.weight"], [512, 64])
        # ConvTranspose2d weights are [in, out, kh, kw].
        self.assertEqual(s["decoder.0.weight"], [64, 256, 1, 1])
        self.assertEqual(s["decoder.1.weight"], [256, 128, 3, 3])
        self.assertEqual(s["decoder.4.weight"], [128, 64, 3, 3])
        self.assertEqual(s["decoder.7.weight"], [64, 1, 3, 3])
        self.assertEqual(s["decoder.8.running_var"], [1])
        self.assertEqual(s["decoder.8.num_batches_tracked"], [])

    def test_conv_vqvae_module_types(self):
        m = ConvVQVAE(in_channels=3)
        self.assertEqual(len(m.encoder), 10)
        self.assertEqual(len(m.decoder), 11)
        self.assertIsInstance(m.encoder[2], torch.nn.LeakyReLU)
        self.assertEqual(m.encoder[2].negative_slope, 0.2)
        self.assertIsInstance(m.decoder[9], torch.nn.LeakyReLU)
        self.assertIsInstance(m.decoder[10], torch.nn.Tanh)
        t = m.decoder[1]
        self.assertEqual((t.kernel_size, t.stride, t.padding, t.output_padding), ((3, 3), (2, 2), (1, 1), (1, 1)))
        c = m.encoder[0]
        self.assertEqual((c.kernel_size, c.stride, c.padding), ((3, 3), (2, 2), (1, 1)))

    def test_conv_vqvae_ema_keys(self):
        m = ConvVQVAE(in_channels=3, ema=True)
        self.assertEqual(list(m.state_dict().keys()), CONV_VQVAE_EMA_KEYS)
        self.assertEqual(shapes(m)["vq.ema_cluster_size"], [512])
        self.assertEqual(shapes(m)["vq.ema_w"], [512, 64])
        self.assertFalse(m.vq.embedding.weight.requires_grad)

    def test_conv_vae_keys_and_shapes(self):
        m = ConvVAE(in_channels=3)
        self.assertEqual(list(m.state_dict().keys()), CONV_VAE_KEYS)
        s = shapes(m)
        self.assertEqual(s["conv_mu.weight"], [4, 256, 1, 1])
        self.assertEqual(s["conv_logvar.weight"], [4, 256, 1, 1])
        self.assertEqual(s["decoder.0.weight"], [4, 256, 1, 1])
        self.assertEqual(s["decoder.7.weight"], [64, 3, 3, 3])
        self.assertEqual(len(m.encoder), 9)

    def test_mlp_keys_and_shapes(self):
        m = MlpVQVAE()
        self.assertEqual(list(m.state_dict().keys()), MLP_VQVAE_KEYS)
        s = shapes(m)
        self.assertEqual(s["encoder.0.weight"], [16, 8])
        self.assertEqual(s["encoder.4.weight"], [8, 16])
        self.assertEqual(s["vq.embedding.weight"], [16, 8])
        self.assertEqual(s["decoder.4.weight"], [8, 16])
        self.assertIsInstance(m.decoder[5], torch.nn.Sigmoid)
        v = MlpVAE(in_features=10, hidden=7, latent=3)
        self.assertEqual(list(v.state_dict().keys()), MLP_VAE_KEYS)
        s = shapes(v)
        self.assertEqual((s["encoder.0.weight"], s["fc_mu.weight"], s["fc_logvar.weight"], s["decoder.0.weight"],
                          s["decoder.2.weight"]), ([7, 10], [3, 7], [3, 7], [7, 3], [10, 7]))

    def test_buffer_dtypes(self):
        sd = ConvVQVAE(in_channels=1).state_dict()
        self.assertEqual(sd["encoder.1.num_batches_tracked"].dtype, torch.int64)
        self.assertEqual(sd["encoder.1.running_mean"].dtype, torch.float32)
        self.assertEqual(sd["encoder.1.running_var"].dtype, torch.float32)
        self.assertEqual(sd["vq.embedding.weight"].dtype, torch.float32)

    def test_codebook_init_range(self):
        for k in (16, 512):
            w = VectorQuantizer(k, 4).embedding.weight
            self.assertLessEqual(float(w.abs().max()), 1.0 / k)
            self.assertGreater(float(w.abs().max()), 0.5 / k)  # uniform, not left at N(0, 1)


class ForwardTest(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(1234)

    def test_conv_vqvae_fmnist_shapes_and_backward(self):
        m = ConvVQVAE(in_channels=1)
        x = torch.rand(3, 1, 32, 32) * 2 - 1
        x_hat, loss, ex = m(x)
        self.assertEqual(list(x_hat.shape), [3, 1, 32, 32])
        self.assertEqual(list(ex["indices"].shape), [3, 4, 4])
        self.assertEqual(ex["indices"].dtype, torch.int64)
        self.assertTrue(bool((x_hat.abs() <= 1).all()))
        # loss = mean squared error + vq loss, recomputed here in float64.
        recon = ((x_hat.double() - x.double()) ** 2).mean()
        self.assertAlmostEqual(float(ex["recon"]), float(recon), places=5)
        self.assertAlmostEqual(float(loss), float(recon) + float(ex["vq"]), places=5)
        loss.backward()
        for name, p in m.named_parameters():
            self.assertIsNotNone(p.grad, name)
            self.assertTrue(bool(torch.isfinite(p.grad).all()), name)
        self.assertGreater(float(m.vq.embedding.weight.grad.abs().sum()), 0.0)

    def test_conv_vqvae_latent_at_256(self):
        m = ConvVQVAE(in_channels=3).eval()
        with torch.no_grad():
            x_hat, _, ex = m(torch.rand(1, 3, 256, 256) * 2 - 1)
        self.assertEqual(list(ex["indices"].shape), [1, 32, 32])
        self.assertEqual(list(x_hat.shape), [1, 3, 256, 256])

    def test_conv_vae_shapes_loss_and_backward(self):
        m = ConvVAE(in_channels=3)
        x = torch.rand(2, 3, 64, 64) * 2 - 1
        x_hat, loss, ex = m(x)
        self.assertEqual(list(x_hat.shape), [2, 3, 64, 64])
        self.assertEqual(list(ex["mu"].shape), [2, 4, 8, 8])
        self.assertEqual(list(ex["logvar"].shape), [2, 4, 8, 8])
        mu, lv = ex["mu"].detach().double(), ex["logvar"].detach().double()
        kl = 0.0
        for a, b in zip(mu.flatten().tolist(), lv.flatten().tolist()):
            kl += -0.5 * (1 + b - a * a - math.exp(b))
        recon = float(((x_hat.double() - x.double()) ** 2).sum())
        self.assertAlmostEqual(float(ex["kl"]), kl, delta=1e-4 * max(1.0, abs(kl)))
        self.assertAlmostEqual(float(ex["recon"]), recon, delta=1e-4 * recon)
        self.assertAlmostEqual(float(loss), recon + 0.1 * kl, delta=1e-4 * recon)
        loss.backward()
        for name, p in m.named_parameters():
            self.assertIsNotNone(p.grad, name)
            self.assertTrue(bool(torch.isfinite(p.grad).all()), name)

    def test_conv_vae_latent_at_512(self):
        m = ConvVAE(in_channels=3).eval()
        with torch.no_grad():
            x_hat, _, ex = m(torch.rand(1, 3, 512, 512) * 2 - 1)
        self.assertEqual(list(ex["mu"].shape), [1, 4, 64, 64])
        self.assertEqual(list(x_hat.shape), [1, 3, 512, 512])

    def test_vae_reparameterization_uses_noise(self):
        m = MlpVAE(6, 5, 3)
        x = torch.rand(4, 6)

        def sample(seed):
            torch.manual_seed(seed)
            with torch.no_grad():
                return m(x)[0]

        # z = mu + exp(logvar / 2) * eps: unit variance gives different samples per seed...
        with torch.no_grad():
            m.fc_logvar.weight.zero_()
            m.fc_logvar.bias.zero_()
        self.assertFalse(torch.equal(sample(5), sample(6)))
        # ...and logvar = -200 (std exp(-100), below float32's resolution of mu) gives mu itself.
        with torch.no_grad():
            m.fc_logvar.bias.fill_(-200.0)
            mean = m.decoder(m.fc_mu(m.encoder(x)))
        self.assertTrue(torch.equal(sample(5), sample(6)))
        self.assertTrue(torch.equal(sample(5), mean))

    def test_reparameterize_scale(self):
        mu = torch.randn(3, 4, 2, 2)
        logvar = torch.randn(3, 4, 2, 2)
        torch.manual_seed(7)
        eps = torch.randn(3, 4, 2, 2)  # the draw randn_like makes on the CPU after the same seed
        torch.manual_seed(7)
        z = models._reparameterize(mu, logvar)
        want = mu.double() + torch.exp(0.5 * logvar.double()) * eps.double()
        self.assertTrue(torch.allclose(z.double(), want, rtol=1e-6, atol=1e-6))

    def test_mlp_vqvae_forward_backward(self):
        m = MlpVQVAE()
        x = torch.rand(13, 8)
        x_hat, loss, ex = m(x)
        self.assertEqual(list(x_hat.shape), [13, 8])
        self.assertEqual(list(ex["indices"].shape), [13])
        self.assertTrue(bool(((x_hat >= 0) & (x_hat <= 1)).all()))
        loss.backward()
        self.assertTrue(all(p.grad is not None for p in m.parameters()))

    def test_mlp_vae_loss(self):
        m = MlpVAE(in_features=5, hidden=4, latent=2, kld_weight=0.5)
        x = torch.rand(7, 5)
        x_hat, loss, ex = m(x)
        recon = float(((x_hat.double() - x.double()) ** 2).sum())
        mu, lv = ex["mu"].double(), ex["logvar"].double()
        kl = float(-0.5 * (1 + lv - mu ** 2 - lv.exp()).sum())
        self.assertAlmostEqual(float(loss), recon + 0.5 * kl, places=4)

    def test_state_dict_round_trip(self):
        a = ConvVQVAE(in_channels=1)
        a(torch.rand(4, 1, 32, 32) * 2 - 1)  # moves the BatchNorm running statistics
        b = ConvVQVAE(in_channels=1)
        b.load_state_dict(a.state_dict())
        a.eval()
        b.eval()
        x = torch.rand(2, 1, 32, 32) * 2 - 1
        with torch.no_grad():
            self.assertTrue(torch.equal(a(x)[0], b(x)[0]))
        self.assertEqual(int(b.state_dict()["encoder.1.num_batches_tracked"]), 1)


class VectorQuantizerTest(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(99)

    def nearest(self, rows, codebook):
        """Brute force argmin of the squared distance in float64 (first index on ties)."""
        out = []
        for z in rows:
            best, best_d = 0, float("inf")
            for k, e in enumerate(codebook):
                d = sum((a - b) ** 2 for a, b in zip(z, e))
                if d < best_d:
                    best, best_d = k, d
            out.append(best)
        return out

    def test_indices_loss_and_straight_through(self):
        k, d, beta = 7, 3, 0.25
        vq = VectorQuantizer(k, d, beta)
        with torch.no_grad():
            vq.embedding.weight.copy_(torch.randn(k, d))
        z = torch.randn(2, d, 3, 5, requires_grad=True)
        zq_st, loss, perplexity, idx = vq(z)
        self.assertEqual(list(idx.shape), [2, 3, 5])
        rows = z.detach().double().permute(0, 2, 3, 1).reshape(-1, d).tolist()
        cb = vq.embedding.weight.detach().double().tolist()
        expect = self.nearest(rows, cb)
        self.assertEqual(idx.flatten().tolist(), expect)
        # Forward value of zq_st is the chosen code at each position (NCHW).
        for n, (b, h, w) in enumerate([(b, h, w) for b in range(2) for h in range(3) for w in range(5)]):
            for c in range(d):
                self.assertAlmostEqual(float(zq_st[b, c, h, w]), cb[expect[n]][c], places=6)
        # loss = (1 + beta) * mean squared distance to the chosen code.
        sq = sum(sum((a - b) ** 2 for a, b in zip(r, cb[e])) for r, e in zip(rows, expect))
        self.assertAlmostEqual(float(loss), (1 + beta) * sq / (len(rows) * d), places=5)
        # Perplexity from the counts.
        counts = [expect.count(j) for j in range(k)]
        ent = -sum(c / len(rows) * math.log(c / len(rows)) for c in counts if c)
        self.assertAlmostEqual(float(perplexity), math.exp(ent), places=4)
        # Straight-through: d sum(zq_st * g) / dz = g (+ beta commitment gradient when through loss).
        g = torch.randn_like(z)
        (gz,) = torch.autograd.grad((zq_st * g).sum(), z)
        self.assertTrue(torch.allclose(gz, g))
        # Gradients of the loss: dz = beta * 2/(N D) (z - zq); de_k = 2/(N D) sum_{n: idx=k} (e_k - z_n).
        z2 = z.detach().clone().requires_grad_(True)
        vq.embedding.weight.grad = None
        _, loss2, _, _ = vq(z2)
        loss2.backward()
        nd = len(rows) * d
        zq_rows = [cb[e] for e in expect]
        gz_rows = z2.grad.double().permute(0, 2, 3, 1).reshape(-1, d).tolist()
        for r, q, gr in zip(rows, zq_rows, gz_rows):
            for c in range(d):
                self.assertAlmostEqual(gr[c], beta * 2 / nd * (r[c] - q[c]), places=6)
        ge = vq.embedding.weight.grad.double().tolist()
        for j in range(k):
            for c in range(d):
                want = sum(2 / nd * (cb[j][c] - r[c]) for r, e in zip(rows, expect) if e == j)
                self.assertAlmostEqual(ge[j][c], want, places=6)

    def test_ema_update_matches_formula(self):
        k, d, decay, eps, beta = 5, 2, 0.9, 1e-5, 0.25
        vq = VectorQuantizer(k, d, beta, ema=True, decay=decay, eps=eps)
        with torch.no_grad():
            vq.embedding.weight.copy_(torch.randn(k, d))
            vq.ema_w.copy_(vq.embedding.weight)
            vq.ema_cluster_size.copy_(torch.rand(k))
        cb = vq.embedding.weight.detach().double().tolist()
        size0 = vq.ema_cluster_size.double().tolist()
        w0 = vq.ema_w.double().tolist()
        z = torch.randn(11, d, requires_grad=True)
        rows = z.detach().double().tolist()
        zq_st, loss, _, idx = vq(z)
        expect = self.nearest(rows, cb)
        self.assertEqual(idx.tolist(), expect)
        # Quantized with the old codebook; loss is beta * commitment only.
        sq = sum(sum((a - b) ** 2 for a, b in zip(r, cb[e])) for r, e in zip(rows, expect))
        self.assertAlmostEqual(float(loss), beta * sq / (11 * d), places=5)
        for n in range(11):
            for c in range(d):
                self.assertAlmostEqual(float(zq_st[n, c]), cb[expect[n]][c], places=6)
        nk = [expect.count(j) for j in range(k)]
        size = [decay * size0[j] + (1 - decay) * nk[j] for j in range(k)]
        w = [[decay * w0[j][c] + (1 - decay) * sum(r[c] for r, e in zip(rows, expect) if e == j) for c in range(d)]
             for j in range(k)]
        n = sum(size)
        smoothed = [(size[j] + eps) / (n + k * eps) * n for j in range(k)]
        for j in range(k):
            self.assertAlmostEqual(float(vq.ema_cluster_size[j]), size[j], places=5)
            for c in range(d):
                self.assertAlmostEqual(float(vq.ema_w[j, c]), w[j][c], places=5)
                self.assertAlmostEqual(float(vq.embedding.weight[j, c]), w[j][c] / smoothed[j],
                                       delta=1e-5 * max(1.0, abs(w[j][c] / smoothed[j])))
        loss.backward()
        self.assertIsNone(vq.embedding.weight.grad)

    def test_ema_frozen_in_eval(self):
        vq = VectorQuantizer(4, 3, ema=True).eval()
        before = vq.embedding.weight.detach().clone()
        vq(torch.randn(6, 3))
        self.assertTrue(torch.equal(before, vq.embedding.weight))
        self.assertEqual(float(vq.ema_cluster_size.sum()), 0.0)

    def test_matches_mse_definitions(self):
        vq = VectorQuantizer(16, 8)
        z = torch.randn(13, 8)
        _, loss, _, idx = vq(z)
        zq = vq.embedding.weight[idx]
        want = F.mse_loss(zq, z) * 1.25
        self.assertAlmostEqual(float(loss), float(want), places=6)


if __name__ == "__main__":
    unittest.main()
