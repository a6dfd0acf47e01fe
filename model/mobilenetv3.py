"""MobileNetV3-Small (Howard et al., "Searching for MobileNetV3", ICCV 2019).

Written as the paper's Table 2: one row per bottleneck block. Module names and
state-dict keys match torchvision's ``mobilenet_v3_small`` exactly
(``features.*``, ``classifier.*``), so torchvision's ImageNet weights and
``mobilenet_v3_small_imagenet_tfslim.pth`` load with ``strict=True``.
torchvision itself cannot be imported next to the CPU torch build we pin, hence
this re-implementation.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

# torchvision's BatchNorm settings for MobileNetV3 (TF defaults).
_BN = dict(eps=0.001, momentum=0.01)


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round channels to a multiple of ``divisor`` without losing more than 10%."""
    new = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if new < 0.9 * value:
        new += divisor
    return new


@dataclass(frozen=True)
class Bneck:
    """One row of Table 2: a bottleneck (inverted residual) block."""

    in_ch: int
    kernel: int
    exp_ch: int
    out_ch: int
    se: bool
    act: str  # "RE" (ReLU) or "HS" (hard-swish)
    stride: int


# Table 2 of the paper, MobileNetV3-Small (input 224x224 -> output 7x7).
SMALL_BLOCKS: tuple[Bneck, ...] = (
    Bneck(16, 3, 16, 16, True, "RE", 2),
    Bneck(16, 3, 72, 24, False, "RE", 2),
    Bneck(24, 3, 88, 24, False, "RE", 1),
    Bneck(24, 5, 96, 40, True, "HS", 2),
    Bneck(40, 5, 240, 40, True, "HS", 1),
    Bneck(40, 5, 240, 40, True, "HS", 1),
    Bneck(40, 5, 120, 48, True, "HS", 1),
    Bneck(48, 5, 144, 48, True, "HS", 1),
    Bneck(48, 5, 288, 96, True, "HS", 2),
    Bneck(96, 5, 576, 96, True, "HS", 1),
    Bneck(96, 5, 576, 96, True, "HS", 1),
)
FEATURE_DIM = 576  # channels of the last 1x1 conv, the per-frame embedding
LAST_CHANNEL = 1024


class ConvBNAct(nn.Sequential):
    """conv -> BN -> activation; indices 0/1/2 match torchvision's Conv2dNormActivation."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1,
                 act: type[nn.Module] | None = nn.Hardswish):
        layers: list[nn.Module] = [
            nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout, **_BN),
        ]
        if act is not None:
            layers.append(act(inplace=True))
        super().__init__(*layers)


class SqueezeExcitation(nn.Module):
    """Channel attention with a hard-sigmoid gate (names fc1/fc2 as in torchvision)."""

    def __init__(self, channels: int):
        super().__init__()
        squeeze = make_divisible(channels // 4)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.relu = nn.ReLU()
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.scale_activation = nn.Hardsigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.scale_activation(self.fc2(self.relu(self.fc1(self.avgpool(x)))))
        return x * scale


class InvertedResidual(nn.Module):
    """expand 1x1 -> depthwise kxk -> (SE) -> project 1x1, residual when shapes allow."""

    def __init__(self, cfg: Bneck):
        super().__init__()
        act = nn.Hardswish if cfg.act == "HS" else nn.ReLU
        layers: list[nn.Module] = []
        if cfg.exp_ch != cfg.in_ch:
            layers.append(ConvBNAct(cfg.in_ch, cfg.exp_ch, 1, act=act))
        layers.append(ConvBNAct(cfg.exp_ch, cfg.exp_ch, cfg.kernel, cfg.stride,
                                groups=cfg.exp_ch, act=act))
        if cfg.se:
            layers.append(SqueezeExcitation(cfg.exp_ch))
        layers.append(ConvBNAct(cfg.exp_ch, cfg.out_ch, 1, act=None))
        self.block = nn.Sequential(*layers)
        self.use_res_connect = cfg.stride == 1 and cfg.in_ch == cfg.out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        return x + y if self.use_res_connect else y


class MobileNetV3Small(nn.Module):
    """The full ImageNet classifier, so that whole published state dicts load strictly."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.2):
        super().__init__()
        layers: list[nn.Module] = [ConvBNAct(3, SMALL_BLOCKS[0].in_ch, 3, stride=2)]
        layers += [InvertedResidual(cfg) for cfg in SMALL_BLOCKS]
        layers.append(ConvBNAct(SMALL_BLOCKS[-1].out_ch, FEATURE_DIM, 1))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(FEATURE_DIM, LAST_CHANNEL),
            nn.Hardswish(inplace=True),
            nn.Dropout(p=dropout, inplace=True),
            nn.Linear(LAST_CHANNEL, num_classes),
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(self.avgpool(self.features(x)), 1)
        return self.classifier(x)


def load_imagenet_weights(model: MobileNetV3Small, path: str | Path) -> None:
    """Load a torchvision-keyed ImageNet state dict strictly, with a one-line error on failure."""
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: ImageNet weights not found") from None
    except Exception as exc:  # corrupt zip, pickle, truncated file …
        raise ValueError(f"{path}: not a readable PyTorch state dict ({exc})") from None
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[1].strip() if "\n" in str(exc) else str(exc)
        raise ValueError(f"{path}: not a mobilenet_v3_small state dict ({first})") from None
