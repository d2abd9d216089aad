import pytest
import torch

from sar_mm.models.losses import BalancedSupConLoss
from tests.test_models.test_losses.supcon_reference import (
    random_batch, slow_contrastive_loss)


@pytest.mark.parametrize('temperature', [0.1, 0.5])
def test_matches_the_formula(temperature):
    feats, labels, prototypes = random_batch()
    loss = BalancedSupConLoss(temperature=temperature)(feats, labels,
                                                       prototypes)
    expected = slow_contrastive_loss(feats, labels, prototypes, temperature)
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_one_view_and_loss_weight():
    feats, labels, prototypes = random_batch(num_views=1, seed=3)
    loss = BalancedSupConLoss(temperature=0.2, loss_weight=0.6)(
        feats, labels, prototypes)
    expected = slow_contrastive_loss(feats, labels, prototypes, 0.2)
    assert loss.item() == pytest.approx(0.6 * expected, rel=1e-5)


def test_absent_classes_enter_through_their_prototypes():
    """Moving the prototype of a class absent from the batch changes the
    loss, and the gradient reaches it."""
    feats, labels, prototypes = random_batch()
    prototypes.requires_grad_(True)
    loss_fn = BalancedSupConLoss(temperature=0.1)
    loss = loss_fn(feats, labels, prototypes)
    loss.backward()
    assert prototypes.grad[5].abs().sum() > 0
    moved = prototypes.detach().clone()
    moved[5] = feats[0]  # the absent class now sits on an anchor
    assert loss_fn(feats, labels, moved).item() > loss.item()


def test_scale_invariance_and_stability():
    """Inputs are normalised inside; a low temperature does not overflow
    (the row maximum is subtracted)."""
    feats, labels, prototypes = random_batch()
    loss_fn = BalancedSupConLoss(temperature=0.01)
    loss = loss_fn(feats, labels, prototypes)
    scaled = loss_fn(feats * 1e3, labels, prototypes * 1e-3)
    assert torch.isfinite(loss)
    assert scaled.item() == pytest.approx(loss.item(), rel=1e-5)


def test_autocast_computes_in_fp32():
    feats, labels, prototypes = random_batch(batch=4, dim=16)
    loss_fn = BalancedSupConLoss(temperature=0.07)
    reference = loss_fn(feats, labels, prototypes)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = loss_fn(feats.bfloat16(), labels, prototypes.bfloat16())
    assert loss.dtype == torch.float32
    # only the bf16 rounding of the inputs differs
    assert loss.item() == pytest.approx(reference.item(), rel=2e-2)


def test_shape_errors():
    feats, labels, prototypes = random_batch()
    loss_fn = BalancedSupConLoss()
    with pytest.raises(ValueError, match=r'expected feats \(M, d\)'):
        loss_fn(feats, labels[:-1], prototypes)
    with pytest.raises(ValueError, match='prototypes'):
        loss_fn(feats, labels, prototypes[:, :4])
    with pytest.raises(ValueError, match='temperature must be > 0'):
        BalancedSupConLoss(temperature=0)
