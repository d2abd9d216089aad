import copy

import pytest
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from sar_mm.models.selfsup import GHMoCoV3, GHSimCLR
from sar_mm.utils import UserInputError

BACKBONE = dict(
    type='ResNet_CIFAR', depth=18, stem_channels=4, base_channels=4)
NECK = dict(
    type='NonLinearNeck',
    in_channels=32,
    hid_channels=16,
    out_channels=8,
    num_layers=2,
    norm_cfg=dict(type='BN1d'))
GH = dict(type='GHLoss', num_classes=4, feat_dim=8, num_samples=20)
pytestmark = pytest.mark.usefixtures('mmpretrain_scope')


def simclr_cfg(**kwargs):
    """A tiny SimCLR config, GHSimCLR when ``gh_loss`` is given."""
    return dict(
        type='GHSimCLR' if 'gh_loss' in kwargs else 'SimCLR',
        backbone=BACKBONE,
        neck=NECK,
        head=dict(
            type='ContrastiveHead',
            loss=dict(type='CrossEntropyLoss'),
            temperature=0.2),
        **kwargs)


def batch(n=4, seed=0, with_idx=True):
    gen = torch.Generator().manual_seed(seed)
    views = [torch.randn(n, 3, 8, 8, generator=gen) for _ in range(2)]
    meta = [dict(sample_idx=10 + i) if with_idx else {} for i in range(n)]
    return views, [DataSample(metainfo=m) for m in meta]


def test_simclr_loss_is_unchanged_and_gh_uses_both_views():
    torch.manual_seed(0)
    gh_model = MODELS.build(simclr_cfg(gh_loss=GH))
    assert isinstance(gh_model, GHSimCLR)
    plain = MODELS.build(simclr_cfg())
    plain.load_state_dict(gh_model.state_dict(), strict=False)
    views, samples = batch()

    losses = gh_model.loss(views, samples)
    assert set(losses) == {'loss', 'loss_gh'}
    assert torch.allclose(losses['loss'], plain.loss(views, samples)['loss'])

    # GH got the projections after the last BN, view by view, sample-major
    with torch.no_grad():
        z = plain.neck(
            plain.backbone(
                torch.stack(views, 1).reshape(-1, 3, 8, 8)))[0]
    expected = copy.deepcopy(gh_model.gh_loss)
    assert torch.allclose(losses['loss_gh'],
                          expected(z[0::2], z[1::2], torch.arange(10, 14)))
    # the first view's predictions went into rows 10..13
    assert gh_model.gh_loss.ema_seen.nonzero().flatten().tolist() == [
        10, 11, 12, 13
    ]


def test_mocov3_gains_gh_from_its_two_projector_calls():
    model = MODELS.build(
        dict(
            type='GHMoCoV3',
            backbone=BACKBONE,
            neck=NECK,
            head=dict(
                type='MoCoV3Head',
                predictor=dict(NECK, in_channels=8, with_avg_pool=False),
                loss=dict(type='CrossEntropyLoss', loss_weight=2.),
                temperature=0.2),
            gh_loss=GH))
    assert isinstance(model, GHMoCoV3)
    views, samples = batch()
    losses = model.loss(views, samples)
    assert set(losses) == {'loss', 'loss_gh'}
    sum(losses.values()).backward()
    assert model.backbone.conv1.weight.grad is not None
    assert model.gh_loss.ema_seen.sum() == 4


def test_missing_sample_indices_is_a_clear_error():
    model = MODELS.build(simclr_cfg(gh_loss=GH))
    views, samples = batch(with_idx=False)
    with pytest.raises(UserInputError, match="keep 'sample_idx' in the "
                       'meta_keys of PackInputs'):
        model.loss(views, samples)
