"""Masked multi-task loss for the two heads.

Each sample supervises only the heads it has labels for (GENKI-4K/SMILES: smile;
FER2013: emotion; Korean data: both):

    total = w1 * L_smile + w2 * L_emotion                       (adaptive: false)
    total = sum_i w_i * exp(-s_i) * L_i + s_i  over heads with labels   (adaptive: true)

where L_i is the mean loss over the samples whose mask is on, and s_i = log(sigma_i^2)
is a learnable log-variance (Kendall, Gal & Cipolla, CVPR 2018): a head whose loss
stays noisy gets down-weighted, and the + s_i term keeps sigma from growing forever.
A head with no labelled sample in the batch contributes nothing, not even its s_i
term (otherwise s_i would drift to -inf on batches without that head).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class LossConfig:
    head1_weight: float = 1.0
    head2_weight: float = 1.0
    label_smoothing: float = 0.0
    focal_loss: bool = False
    focal_gamma: float = 2.0
    adaptive: bool = False

    @classmethod
    def from_dict(cls, d: dict | None) -> "LossConfig":
        d = dict(d or {})
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown loss settings: {sorted(unknown)}")
        cfg = cls(**d)
        if not 0.0 <= cfg.label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {cfg.label_smoothing}")
        if cfg.focal_gamma < 0:
            raise ValueError(f"focal_gamma must be >= 0, got {cfg.focal_gamma}")
        if cfg.head1_weight < 0 or cfg.head2_weight < 0:
            raise ValueError("head weights must be >= 0")
        return cfg


def smoothed_distribution(target: torch.Tensor, num_classes: int, smoothing: float) -> torch.Tensor:
    """Class indices (B,) or distributions (B, C) -> smoothed distributions (B, C)."""
    if target.dim() == 1:
        target = F.one_hot(target.clamp(min=0), num_classes).float()
    return target * (1.0 - smoothing) + smoothing / num_classes


def soft_focal_cross_entropy(logits: torch.Tensor, target: torch.Tensor, gamma: float) -> torch.Tensor:
    """Per-sample sum_c q_c * (1 - p_c)^gamma * -log p_c; gamma = 0 is cross-entropy."""
    log_p = F.log_softmax(logits, dim=-1)
    weight = (1.0 - log_p.exp()).pow(gamma) if gamma > 0 else 1.0
    return -(target * weight * log_p).sum(dim=-1)


def binary_focal_loss(logit: torch.Tensor, target: torch.Tensor, gamma: float) -> torch.Tensor:
    """Per-sample binary cross-entropy on a (soft) target, focal-weighted when gamma > 0."""
    bce = F.binary_cross_entropy_with_logits(logit, target, reduction="none")
    if gamma <= 0:
        return bce
    p = torch.sigmoid(logit)
    p_t = p * target + (1 - p) * (1 - target)
    return (1 - p_t).pow(gamma) * bce


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over masked-in samples; exactly 0 (with zero gradient) when none is."""
    mask = mask.to(values.dtype)
    return (values * mask).sum() / mask.sum().clamp(min=1.0)


class MultiTaskLoss(nn.Module):
    def __init__(self, config: LossConfig = LossConfig(), num_emotions: int = 7):
        super().__init__()
        self.config = config
        self.num_emotions = num_emotions
        # log-variances s_1 (smile), s_2 (emotion); parameters only when adaptive,
        # so the optimiser updates them and checkpoints carry them.
        if config.adaptive:
            self.log_vars = nn.Parameter(torch.zeros(2))
        else:
            self.register_buffer("log_vars", torch.zeros(2), persistent=False)

    def forward(self, smile_pred: torch.Tensor, emotion_pred: torch.Tensor,
                smile_target: torch.Tensor, emotion_target: torch.Tensor,
                head1_mask: torch.Tensor, head2_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        """smile_pred: (B,) logits; emotion_pred: (B, C) logits; smile_target: (B,) in 0..1;
        emotion_target: (B,) class indices or (B, C) distributions; masks: (B,) bool."""
        cfg = self.config
        gamma = cfg.focal_gamma if cfg.focal_loss else 0.0
        # Zero the inputs of masked-out samples before the loss: a garbage target
        # (NaN for "no label") must not poison the gradient through 0 * NaN.
        smile_target = torch.where(head1_mask, smile_target.float().nan_to_num(0.0), 0.0)
        smile_target = smile_target * (1 - cfg.label_smoothing) + cfg.label_smoothing / 2
        smile_loss = masked_mean(binary_focal_loss(smile_pred, smile_target, gamma), head1_mask)

        emo_target = smoothed_distribution(emotion_target, self.num_emotions, cfg.label_smoothing)
        emo_target = torch.where(head2_mask.unsqueeze(-1), emo_target.nan_to_num(0.0), 0.0)
        emotion_loss = masked_mean(soft_focal_cross_entropy(emotion_pred, emo_target, gamma), head2_mask)

        base = torch.tensor([cfg.head1_weight, cfg.head2_weight], device=smile_pred.device)
        present = torch.stack([head1_mask.any(), head2_mask.any()]).to(base.dtype)
        weights = base * torch.exp(-self.log_vars) if cfg.adaptive else base
        total = weights[0] * smile_loss + weights[1] * emotion_loss
        if cfg.adaptive:
            total = total + (present * self.log_vars).sum()
        return {"total_loss": total, "smile_loss": smile_loss.detach(),
                "emotion_loss": emotion_loss.detach(),
                "smile_weight": weights[0].detach(), "emotion_weight": weights[1].detach()}
