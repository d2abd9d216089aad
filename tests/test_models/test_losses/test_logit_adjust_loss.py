import math

import pytest
import torch
import torch.nn.functional as F

from sar_mm.models.losses import LogitAdjustCELoss
from sar_mm.utils import UserInputError


def test_by_hand():
    """Counts 3:1, one sample of class 1 with logits (2, 1):
    adjusted logits (2 + log .75, 1 + log .25); CE = -log softmax_1."""
    loss_fn = LogitAdjustCELoss(tau=1.0)
    loss_fn.set_class_counts([30, 10])
    loss = loss_fn(torch.tensor([[2., 1.]]), torch.tensor([1]))
    a, b = 2 + math.log(0.75), 1 + math.log(0.25)
    expected = -(b - math.log(math.exp(a) + math.exp(b)))
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    # tau scales the prior; tau = 0 is the plain cross-entropy
    loss_fn.tau = 0.5
    a, b = 2 + 0.5 * math.log(0.75), 1 + 0.5 * math.log(0.25)
    expected = -(b - math.log(math.exp(a) + math.exp(b)))
    assert loss_fn(torch.tensor([[2., 1.]]),
                   torch.tensor([1])).item() == pytest.approx(expected)


def test_tau_zero_is_cross_entropy_without_counts():
    logits, labels = torch.randn(6, 4), torch.tensor([0, 1, 2, 3, 3, 1])
    loss_fn = LogitAdjustCELoss(tau=0., loss_weight=2.)
    assert not loss_fn.needs_class_counts
    assert torch.allclose(
        loss_fn(logits, labels), 2 * F.cross_entropy(logits, labels))


def test_head_interface_and_soft_labels():
    logits = torch.randn(4, 3)
    loss_fn = LogitAdjustCELoss(use_soft=True)
    loss_fn.set_class_counts([5, 3, 2])
    soft = F.one_hot(torch.tensor([0, 2, 1, 1]), 3).float()
    hard = LogitAdjustCELoss()
    hard.set_class_counts([5, 3, 2])
    # ClsHead calls loss(cls_score, target, avg_factor=batch)
    assert torch.allclose(
        loss_fn(logits, soft, avg_factor=4),
        hard(logits, torch.tensor([0, 2, 1, 1]), avg_factor=4))


def test_counts_are_checkpointed():
    loss_fn = LogitAdjustCELoss()
    loss_fn.set_class_counts([7, 2, 1])
    state = loss_fn.state_dict()
    assert state['class_counts'].tolist() == [7, 2, 1]
    restored = LogitAdjustCELoss()
    assert not restored.has_class_counts
    restored.load_state_dict(state)
    logits, labels = torch.randn(3, 3), torch.tensor([0, 1, 2])
    assert torch.equal(restored(logits, labels), loss_fn(logits, labels))


def test_errors():
    with pytest.raises(UserInputError, match=r'has no class counts\. Add '
                       r"dict\(type='ClassCountsHook'\)"):
        LogitAdjustCELoss()(torch.randn(2, 3), torch.tensor([0, 1]))
    loss_fn = LogitAdjustCELoss()
    with pytest.raises(UserInputError, match='one positive training count '
                       r'per class.*\[3\.0, 0\.0\]'):
        loss_fn.set_class_counts([3, 0])
    loss_fn.set_class_counts([3, 2])
    with pytest.raises(UserInputError, match='counts for 2 classes but the '
                       'classifier has 3'):
        loss_fn(torch.randn(2, 3), torch.tensor([0, 1]))
