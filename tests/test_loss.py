import math

import pytest
import torch
import torch.nn.functional as F

from model.loss import LossConfig, MultiTaskLoss


def batch(b=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    smile_logit = torch.randn(b, generator=g, requires_grad=True)
    emo_logits = torch.randn(b, 7, generator=g, requires_grad=True)
    smile_t = torch.randint(0, 2, (b,), generator=g).float()
    emo_t = torch.randint(0, 7, (b,), generator=g)
    return smile_logit, emo_logits, smile_t, emo_t


def test_masked_out_head_gets_exactly_zero_gradient():
    s, e, st, et = batch()
    head1 = torch.ones(8, dtype=torch.bool)
    head2 = torch.zeros(8, dtype=torch.bool)
    et_garbage = torch.full((8, 7), float("nan"))  # no emotion label: whatever is in the target
    out = MultiTaskLoss(LossConfig())(s, e, st, et_garbage, head1, head2)
    out["total_loss"].backward()
    assert torch.equal(e.grad, torch.zeros_like(e))
    assert s.grad.abs().sum() > 0


def test_per_sample_masks_select_samples():
    s, e, st, et = batch()
    head1 = torch.tensor([1, 1, 1, 1, 0, 0, 0, 0], dtype=torch.bool)
    head2 = ~head1
    out = MultiTaskLoss(LossConfig())(s, e, st, et, head1, head2)
    out["total_loss"].backward()
    assert torch.equal(s.grad[4:], torch.zeros(4)) and (s.grad[:4] != 0).all()
    assert torch.equal(e.grad[:4], torch.zeros(4, 7)) and (e.grad[4:] != 0).any(dim=1).all()
    expected_smile = F.binary_cross_entropy_with_logits(s[:4], st[:4])
    expected_emo = F.cross_entropy(e[4:], et[4:])
    assert torch.allclose(out["smile_loss"], expected_smile)
    assert torch.allclose(out["emotion_loss"], expected_emo)
    assert torch.allclose(out["total_loss"], expected_smile + expected_emo)


@pytest.mark.parametrize("adaptive", [False, True])
def test_all_masked_batch_is_zero_and_finite(adaptive):
    s, e, st, et = batch()
    none = torch.zeros(8, dtype=torch.bool)
    crit = MultiTaskLoss(LossConfig(adaptive=adaptive))
    out = crit(s, e, torch.full((8,), float("nan")), et, none, none)
    assert out["total_loss"].item() == 0.0
    out["total_loss"].backward()
    assert torch.isfinite(s.grad).all() and torch.isfinite(e.grad).all()
    assert s.grad.abs().sum() == 0 and e.grad.abs().sum() == 0
    if adaptive:
        assert crit.log_vars.grad is None or crit.log_vars.grad.abs().sum() == 0


def test_focal_with_gamma_zero_equals_cross_entropy():
    s, e, st, et = batch()
    m = torch.ones(8, dtype=torch.bool)
    focal = MultiTaskLoss(LossConfig(focal_loss=True, focal_gamma=0.0))(s, e, st, et, m, m)
    assert torch.allclose(focal["emotion_loss"], F.cross_entropy(e, et))
    assert torch.allclose(focal["smile_loss"], F.binary_cross_entropy_with_logits(s, st))
    # and gamma > 0 down-weights easy samples: the loss can only shrink
    sharp = MultiTaskLoss(LossConfig(focal_loss=True, focal_gamma=2.0))(s, e, st, et, m, m)
    assert sharp["emotion_loss"] < focal["emotion_loss"] and sharp["smile_loss"] < focal["smile_loss"]


def test_label_smoothing_is_honoured():
    s, e, st, et = batch()
    m = torch.ones(8, dtype=torch.bool)
    out = MultiTaskLoss(LossConfig(label_smoothing=0.1))(s, e, st, et, m, m)
    assert torch.allclose(out["emotion_loss"], F.cross_entropy(e, et, label_smoothing=0.1))
    assert torch.allclose(out["smile_loss"], F.binary_cross_entropy_with_logits(s, st * 0.9 + 0.05))


def test_soft_emotion_targets_match_index_targets_when_one_hot():
    s, e, st, et = batch()
    m = torch.ones(8, dtype=torch.bool)
    crit = MultiTaskLoss(LossConfig())
    hard = crit(s, e, st, et, m, m)["emotion_loss"]
    soft = crit(s, e, st, F.one_hot(et, 7).float(), m, m)["emotion_loss"]
    assert torch.allclose(hard, soft)


def test_head_weights():
    s, e, st, et = batch()
    m = torch.ones(8, dtype=torch.bool)
    out = MultiTaskLoss(LossConfig(head1_weight=3.0, head2_weight=0.5))(s, e, st, et, m, m)
    assert torch.allclose(out["total_loss"], 3.0 * out["smile_loss"] + 0.5 * out["emotion_loss"])


def test_adaptive_weights_change_under_training():
    torch.manual_seed(0)
    crit = MultiTaskLoss(LossConfig(adaptive=True, head1_weight=2.0))
    head = torch.nn.Linear(4, 8)
    opt = torch.optim.SGD(list(head.parameters()) + list(crit.parameters()), lr=0.1)
    x = torch.randn(32, 4)
    st = torch.randint(0, 2, (32,)).float()
    et = torch.randint(0, 7, (32,))
    m = torch.ones(32, dtype=torch.bool)
    first = None
    for _ in range(20):
        y = head(x)
        out = crit(y[:, 0], y[:, 1:], st, et, m, m)
        first = first or (out["smile_weight"].item(), out["emotion_weight"].item())
        opt.zero_grad()
        out["total_loss"].backward()
        opt.step()
    assert first == (2.0, 1.0)
    assert not math.isclose(out["smile_weight"].item(), 2.0, rel_tol=1e-3)
    assert not math.isclose(out["emotion_weight"].item(), 1.0, rel_tol=1e-3)
    assert set(dict(crit.named_parameters())) == {"log_vars"}


def test_bad_settings_are_rejected():
    with pytest.raises(ValueError, match="label_smoothing"):
        LossConfig.from_dict({"label_smoothing": 1.5})
    with pytest.raises(ValueError, match="unknown"):
        LossConfig.from_dict({"head3_weight": 1.0})
