import pytest
import torch

from sar_mm.models.losses import BalancedSupConLoss, RebalancedSupConLoss
from sar_mm.utils import UserInputError
from tests.test_models.test_losses.supcon_reference import (
    random_batch, slow_contrastive_loss)

COUNTS = [50, 30, 20, 8, 4, 1]


def test_reduces_to_bcl_exactly_with_knobs_off():
    feats, labels, prototypes = random_batch()
    feats.requires_grad_(True)
    bcl = BalancedSupConLoss(temperature=0.1, loss_weight=0.6)
    rcl = RebalancedSupConLoss(temperature=0.1, loss_weight=0.6)
    rcl.set_class_counts(COUNTS)  # present but unused
    expected = bcl(feats, labels, prototypes)
    loss = rcl(feats, labels, prototypes)
    assert torch.equal(loss, expected)
    grad_bcl, = torch.autograd.grad(expected, feats)
    grad_rcl, = torch.autograd.grad(loss, feats)
    assert torch.equal(grad_rcl, grad_bcl)
    # and it needs no counts then
    assert not RebalancedSupConLoss().needs_class_counts
    RebalancedSupConLoss()(feats, labels, prototypes)


@pytest.mark.parametrize('prior_tau,feat_scale', [(1.0, 1.0), (0., 1.5),
                                                  (0.5, 2.0)])
def test_matches_the_formula(prior_tau, feat_scale):
    feats, labels, prototypes = random_batch(seed=1)
    rcl = RebalancedSupConLoss(
        temperature=0.2, prior_tau=prior_tau, feat_scale=feat_scale)
    rcl.set_class_counts(COUNTS)
    counts = torch.tensor(COUNTS, dtype=torch.float64)
    log_prior = (counts / counts.sum()).log()
    expected = slow_contrastive_loss(feats, labels, prototypes, 0.2,
                                     log_prior, prior_tau, feat_scale)
    assert rcl(feats, labels, prototypes).item() == pytest.approx(
        expected, rel=1e-5)


def test_feature_scale_is_not_a_temperature():
    """Scaling only the view embeddings differs from any temperature change
    (which would scale view and prototype similarities alike)."""
    feats, labels, prototypes = random_batch(seed=2)
    scaled = RebalancedSupConLoss(temperature=0.2, feat_scale=2.)
    loss = scaled(feats, labels, prototypes).item()
    for temperature in (0.2 / 2, 0.2 / 4):
        assert loss != pytest.approx(
            BalancedSupConLoss(temperature)(feats, labels, prototypes).item(),
            rel=1e-3)


def test_errors():
    feats, labels, prototypes = random_batch()
    with pytest.raises(UserInputError, match=r"has no class counts.*"
                       r"ClassCountsHook"):
        RebalancedSupConLoss(prior_tau=1.)(feats, labels, prototypes)
    rcl = RebalancedSupConLoss(prior_tau=1.)
    rcl.set_class_counts(COUNTS[:4])
    with pytest.raises(UserInputError, match='counts for 4 classes but the '
                       'classifier has 6'):
        rcl(feats, labels, prototypes)
    with pytest.raises(ValueError, match='feat_scale must be > 0'):
        RebalancedSupConLoss(feat_scale=0)
