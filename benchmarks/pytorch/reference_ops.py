"""The ops of vq4j written as the reference VQ-VAE / VAE designs write them in PyTorch.

These are what vq4j is compared against: nothing here is tuned. Each function takes the same
inputs as the vq4j op and returns the same outputs.
"""
import torch
import torch.nn.functional as F


def nearest_code(z, codebook):
    """Distance matrix ||z||^2 + ||e||^2 - 2 z e^T, argmin, gather (the reference VectorQuantizer)."""
    d = (z.pow(2).sum(1, keepdim=True) + codebook.pow(2).sum(1) - 2.0 * z @ codebook.t())
    idx = d.argmin(1)
    return idx, codebook[idx]


def reparameterize(mu, logvar):
    std = torch.exp(0.5 * logvar)
    eps = torch.randn_like(std)
    return eps * std + mu


def kl_divergence(mu, logvar):
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


class VectorQuantizer(torch.nn.Module):
    """The reference VQ-VAE quantizer: codebook loss + beta * commitment, straight-through."""

    def __init__(self, k, d, beta=0.25):
        super().__init__()
        self.beta = beta
        self.embedding = torch.nn.Embedding(k, d)
        self.embedding.weight.data.uniform_(-1.0 / k, 1.0 / k)

    def forward(self, z):  # z: [N, D]
        w = self.embedding.weight
        d = z.pow(2).sum(1, keepdim=True) + w.pow(2).sum(1) - 2.0 * z @ w.t()
        idx = d.argmin(1)
        zq = self.embedding(idx)
        codebook_loss = F.mse_loss(zq, z.detach())
        commitment_loss = F.mse_loss(z, zq.detach())
        zq_st = z + (zq - z).detach()
        return zq_st, codebook_loss + self.beta * commitment_loss, idx
