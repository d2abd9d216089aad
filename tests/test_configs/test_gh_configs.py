"""The GH configs parse, and their models build and train one step on
random tensors (the CIFAR-100-LT and ImageNet-LT datasets are not needed)."""
import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from sar_mm.models.selfsup import GHSimCLR
from tests.utils import REPO

GH = REPO / 'configs' / 'gh'
PRETRAIN = [
    # (config, input size, backbone channels)
    ('simclr_resnet18_1xb512-1000e_cifar100-lt.py', 32, 512),
    ('simclr-gh_resnet18_1xb512-1000e_cifar100-lt.py', 32, 512),
    ('simclr_resnet50_8xb32-500e_imagenet-lt.py', 64, 2048),
    ('simclr-gh_resnet50_8xb32-500e_imagenet-lt.py', 64, 2048),
]
PROBES = [
    ('benchmarks/resnet18_linear-500e_cifar100.py', 32, 100),
    ('benchmarks/resnet50_linear-100e_imagenet-lt.py', 64, 1000),
]


pytestmark = pytest.mark.usefixtures('mmpretrain_scope')


def build(cfg):
    # what the Runner does without DDP
    return revert_sync_batchnorm(MODELS.build(cfg.model))


@pytest.mark.parametrize('name, size, channels', PRETRAIN)
def test_pretrain_config_builds_and_steps(name, size, channels):
    cfg = Config.fromfile(GH / name)
    assert cfg.default_scope == 'mmpretrain'
    assert cfg.train_cfg.type == 'EpochBasedTrainLoop'
    model = build(cfg)
    assert model.neck.fc0.in_features == channels
    is_gh = '-gh_' in name
    assert isinstance(model, GHSimCLR) == is_gh
    assert [h.type for h in cfg.get('custom_hooks', [])] == (
        ['GHScheduleHook'] if is_gh else [])
    if is_gh:
        model.gh_loss.resize_table(8)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    # a collated batch of 4 images: one uint8 tensor per view
    views = [torch.randint(0, 256, (4, 3, size, size), dtype=torch.uint8)
             for _ in range(2)]
    data = dict(
        inputs=views,
        data_samples=[DataSample(metainfo=dict(sample_idx=i))
                      for i in range(4)])
    batch = model.data_preprocessor(data, training=True)
    losses = model(**batch, mode='loss')
    assert set(losses) == ({'loss', 'loss_gh'} if is_gh else {'loss'})
    sum(losses.values()).backward()
    optimizer.step()
    assert all(torch.isfinite(v) for v in losses.values())


def test_gh_configs_add_only_gh_to_their_baselines():
    for gh_name, _, _ in PRETRAIN[1::2]:
        gh = Config.fromfile(GH / gh_name)
        base = Config.fromfile(GH / gh_name.replace('simclr-gh', 'simclr'))
        for key in ('optim_wrapper', 'param_scheduler', 'train_cfg',
                    'train_dataloader'):
            assert gh[key] == base[key], key
        gh_model = gh.model.copy()
        assert gh_model.pop('type') == 'GHSimCLR'
        assert gh_model.pop('gh_loss').type == 'GHLoss'
        assert gh_model == {k: v for k, v in base.model.items()
                            if k != 'type'}


def test_reference_schedules():
    cifar = Config.fromfile(
        GH / 'simclr-gh_resnet18_1xb512-1000e_cifar100-lt.py')
    assert cifar.custom_hooks[0].warmup_epochs == 500
    assert cifar.param_scheduler[2].begin == 500
    assert cifar.model.gh_loss.get('prior_floor', 0) == 0
    imagenet = Config.fromfile(
        GH / 'simclr-gh_resnet50_8xb32-500e_imagenet-lt.py')
    assert imagenet.custom_hooks[0].warmup_epochs == 400
    assert imagenet.custom_hooks[0].ramp_epochs == 30
    assert imagenet.param_scheduler[1].eta_min == 0.1
    assert imagenet.model.gh_loss.prior_floor == 100


@pytest.mark.parametrize('name, size, num_classes', PROBES)
def test_linear_probe_config_freezes_the_backbone(name, size, num_classes):
    cfg = Config.fromfile(GH / name)
    assert cfg.val_evaluator.type == 'LTAccuracy'
    assert cfg.model.backbone.init_cfg.prefix == 'backbone.'
    model = build(cfg)
    model.train()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {'head.fc.weight', 'head.fc.bias'}
    # the BN statistics are frozen too
    norms = [m for m in model.backbone.modules()
             if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms and not any(m.training for m in norms)
    inputs = torch.randn(2, 3, size, size)
    samples = [DataSample().set_gt_label(i) for i in range(2)]
    losses = model(inputs, samples, mode='loss')
    assert torch.isfinite(losses['loss'])
    assert model(inputs, mode='tensor').shape == (2, num_classes)
