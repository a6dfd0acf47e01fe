import numpy as np
import torch

from model.calibrate import fit_platt, fold_into_head


def test_platt_recovers_a_known_scale_and_shift():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 2, 20000)
    labels = rng.random(20000) < 1 / (1 + np.exp(-(0.5 * z - 1.0)))
    a, b = fit_platt(z, labels.astype(float))
    assert abs(a - 0.5) < 0.05 and abs(b + 1.0) < 0.07


def test_folding_into_the_head_equals_scaling_its_logit():
    torch.manual_seed(0)
    head = torch.nn.Linear(8, 1)
    x = torch.randn(5, 8)
    before = head(x)
    fold_into_head(head, 0.7, -0.3)
    assert torch.allclose(head(x), 0.7 * before - 0.3, atol=1e-6)
