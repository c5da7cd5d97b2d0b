"""The four reference models of vq4j's model contract, in plain PyTorch.

These are what vq4j's models are compared against, written the way the reference VQ-VAE / VAE
designs write them: no custom kernels, nothing tuned. Module attribute names are the contract's,
so the state_dict keys are the names vq4j's checkpoints use (encoder.0.weight, vq.embedding.weight,
decoder.9.running_var, ...) and checkpoints interchange.

Every model's forward(x) returns (x_hat, loss, extras); extras holds the loss terms as tensors
(recon, vq or kl) and, for the VQ models, the batch perplexity and the code indices.

  ConvVQVAE  conv encoder (3 stride-2 blocks + 1x1 to D), vector quantizer, transposed-conv decoder;
             image side must be divisible by 8 (32 -> 4x4 latent, 256 -> 32x32); inputs in [-1, 1].
  ConvVAE    the same encoder blocks, 1x1 convs to mu and logvar (latent_channels), the same decoder;
             3x512x512 -> 4x64x64 latent; inputs in [-1, 1].
  MlpVQVAE   small MLP VQ-VAE; inputs in [0, 1] (sigmoid output).
  MlpVAE     small MLP VAE.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class VectorQuantizer(nn.Module):
    """The reference VQ-VAE quantizer (van den Oord et al. 2017), optionally with EMA codebook updates.

    forward(z) takes z as NCHW (conv models) or [N, D] (MLP models) and returns
    (zq_st, loss, perplexity, indices):
      indices   nearest code per position (argmin of ||z||^2 + ||e||^2 - 2 z.e), [B, H, W] or [N]
      loss      codebook_loss + beta * commitment_loss, both F.mse_loss means; with ema=True the
                codebook moves by EMA instead of by gradient, so loss = beta * commitment_loss
      zq_st     straight-through output z + (zq - z).detach(), shaped like z
      perplexity exp(-sum p log p) of the batch's code usage (no gradient)

    EMA (ema=True, the Zalando / Sonnet VectorQuantizerEMA rule, in training mode only, applied after
    the batch was quantized with the old codebook):
      N_k = decay N_k + (1 - decay) n_k ;  m_k = decay m_k + (1 - decay) s_k
      n = sum N_k ;  N'_k = (N_k + eps) / (n + K eps) * n ;  e_k = m_k / N'_k
    with n_k the batch count and s_k the batch sum of the vectors assigned to code k;
    ema_cluster_size keeps the unsmoothed N_k, ema_w the m_k (initialised to the codebook).
    """

    def __init__(self, num_embeddings, embedding_dim, beta=0.25, ema=False, decay=0.99, eps=1e-5):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.beta = beta
        self.ema = ema
        self.decay = decay
        self.eps = eps
        self.embedding = nn.Embedding(num_embeddings, embedding_dim)
        self.embedding.weight.data.uniform_(-1.0 / num_embeddings, 1.0 / num_embeddings)
        if ema:
            # The codebook is a buffer in all but name: it stays a parameter so its key is
            # vq.embedding.weight in both variants, but receives no gradient.
            self.embedding.weight.requires_grad_(False)
            self.register_buffer("ema_cluster_size", torch.zeros(num_embeddings))
            self.register_buffer("ema_w", self.embedding.weight.detach().clone())

    def forward(self, z):
        conv = z.dim() == 4
        # Channels last, as the reference does: one row of D per spatial position.
        z_in = z.permute(0, 2, 3, 1).contiguous() if conv else z
        flat = z_in.reshape(-1, self.embedding_dim)
        w = self.embedding.weight
        d = flat.pow(2).sum(1, keepdim=True) + w.pow(2).sum(1) - 2.0 * flat @ w.t()
        idx = d.argmin(1)
        zq = self.embedding(idx).view_as(z_in)

        counts = torch.zeros(self.num_embeddings, device=z.device, dtype=flat.dtype)
        counts = counts.scatter_add(0, idx, torch.ones_like(idx, dtype=flat.dtype))
        if self.ema and self.training:
            self._ema_update(flat.detach(), idx, counts)

        commitment = F.mse_loss(z_in, zq.detach())
        if self.ema:
            loss = self.beta * commitment
        else:
            loss = F.mse_loss(zq, z_in.detach()) + self.beta * commitment

        zq_st = z_in + (zq - z_in).detach()
        with torch.no_grad():
            # Equals the reference's mean over one-hot encodings, without the N x K one-hot.
            p = counts / flat.shape[0]
            perplexity = torch.exp(-torch.sum(p * torch.log(p + 1e-10)))
        if conv:
            zq_st = zq_st.permute(0, 3, 1, 2).contiguous()
            indices = idx.view(z_in.shape[:-1])
        else:
            indices = idx
        return zq_st, loss, perplexity, indices

    @torch.no_grad()
    def _ema_update(self, flat, idx, counts):
        self.ema_cluster_size.mul_(self.decay).add_(counts, alpha=1.0 - self.decay)
        dw = torch.zeros_like(self.ema_w).index_add_(0, idx, flat)
        self.ema_w.mul_(self.decay).add_(dw, alpha=1.0 - self.decay)
        n = self.ema_cluster_size.sum()
        smoothed = (self.ema_cluster_size + self.eps) / (n + self.num_embeddings * self.eps) * n
        self.embedding.weight.copy_(self.ema_w / smoothed.unsqueeze(1))


def _conv_encoder_blocks(in_channels, hidden):
    """Conv(3, stride 2, pad 1) + BatchNorm + LeakyReLU(0.2) per hidden width: encoder.0 .. encoder.{3h-1}."""
    layers, c = [], in_channels
    for h in hidden:
        layers += [nn.Conv2d(c, h, 3, 2, 1), nn.BatchNorm2d(h), nn.LeakyReLU(0.2)]
        c = h
    return layers


def _conv_decoder(latent_channels, hidden, out_channels):
    """1x1 transposed conv to hidden[-1], then per block a stride-2 transposed conv (3, pad 1,
    output_padding 1: doubles the side) + BatchNorm + LeakyReLU(0.2), the last block to out_channels,
    then Tanh. For hidden (64, 128, 256): decoder.0 .. decoder.10."""
    widths = list(reversed(hidden)) + [out_channels]
    layers = [nn.ConvTranspose2d(latent_channels, widths[0], 1)]
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.ConvTranspose2d(a, b, 3, 2, 1, 1), nn.BatchNorm2d(b), nn.LeakyReLU(0.2)]
    layers.append(nn.Tanh())
    return nn.Sequential(*layers)


class ConvVQVAE(nn.Module):
    """Conv VQ-VAE: x [B, C, S, S] in [-1, 1], S divisible by 8 -> latent [B, D, S/8, S/8]."""

    def __init__(self, in_channels=3, hidden=(64, 128, 256), embedding_dim=64, num_embeddings=512,
                 beta=0.25, ema=False, decay=0.99, eps=1e-5):
        super().__init__()
        hidden = tuple(hidden)
        self.encoder = nn.Sequential(*_conv_encoder_blocks(in_channels, hidden),
                                     nn.Conv2d(hidden[-1], embedding_dim, 1))
        self.vq = VectorQuantizer(num_embeddings, embedding_dim, beta, ema, decay, eps)
        self.decoder = _conv_decoder(embedding_dim, hidden, in_channels)

    def forward(self, x):
        z = self.encoder(x)
        zq, vq_loss, perplexity, indices = self.vq(z)
        x_hat = self.decoder(zq)
        recon = F.mse_loss(x_hat, x)
        loss = recon + vq_loss
        extras = {"recon": recon, "vq": vq_loss, "perplexity": perplexity, "indices": indices}
        return x_hat, loss, extras


def _reparameterize(mu, logvar):
    std = torch.exp(0.5 * logvar)
    return mu + std * torch.randn_like(std)


def _kl(mu, logvar):
    """KL(q(z|x) || N(0, I)) summed over everything (batch included)."""
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


class ConvVAE(nn.Module):
    """Conv VAE: x [B, C, S, S] in [-1, 1], S divisible by 8 -> latent [B, latent_channels, S/8, S/8].
    loss = sum squared error + kld_weight * KL (both summed over the batch)."""

    def __init__(self, in_channels=3, hidden=(64, 128, 256), latent_channels=4, kld_weight=0.1):
        super().__init__()
        hidden = tuple(hidden)
        self.kld_weight = kld_weight
        self.encoder = nn.Sequential(*_conv_encoder_blocks(in_channels, hidden))
        self.conv_mu = nn.Conv2d(hidden[-1], latent_channels, 1)
        self.conv_logvar = nn.Conv2d(hidden[-1], latent_channels, 1)
        self.decoder = _conv_decoder(latent_channels, hidden, in_channels)

    def forward(self, x):
        h = self.encoder(x)
        mu, logvar = self.conv_mu(h), self.conv_logvar(h)
        z = _reparameterize(mu, logvar)
        x_hat = self.decoder(z)
        recon = F.mse_loss(x_hat, x, reduction="sum")
        kl = _kl(mu, logvar)
        loss = recon + self.kld_weight * kl
        return x_hat, loss, {"recon": recon, "kl": kl, "mu": mu, "logvar": logvar}


class MlpVQVAE(nn.Module):
    """MLP VQ-VAE: x [B, in_features] in [0, 1]; num_embeddings is the contract's K."""

    def __init__(self, in_features=8, hidden=16, latent=8, num_embeddings=16, beta=0.25):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                     nn.Linear(hidden, latent))
        self.vq = VectorQuantizer(num_embeddings, latent, beta)
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                     nn.Linear(hidden, in_features), nn.Sigmoid())

    def forward(self, x):
        z = self.encoder(x)
        zq, vq_loss, perplexity, indices = self.vq(z)
        x_hat = self.decoder(zq)
        recon = F.mse_loss(x_hat, x)
        loss = recon + vq_loss
        return x_hat, loss, {"recon": recon, "vq": vq_loss, "perplexity": perplexity, "indices": indices}


class MlpVAE(nn.Module):
    """MLP VAE: x [B, in_features]; loss as the conv VAE's (sums)."""

    def __init__(self, in_features, hidden, latent, kld_weight=0.1):
        super().__init__()
        self.kld_weight = kld_weight
        self.encoder = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU())
        self.fc_mu = nn.Linear(hidden, latent)
        self.fc_logvar = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, in_features))

    def forward(self, x):
        h = self.encoder(x)
        mu, logvar = self.fc_mu(h), self.fc_logvar(h)
        z = _reparameterize(mu, logvar)
        x_hat = self.decoder(z)
        recon = F.mse_loss(x_hat, x, reduction="sum")
        kl = _kl(mu, logvar)
        loss = recon + self.kld_weight * kl
        return x_hat, loss, {"recon": recon, "kl": kl, "mu": mu, "logvar": logvar}
