"""Every long-tailed classification config builds and trains one iteration,
then validates, on CPU and fake data in the datasets' real formats. The
-r50 and -r10 CIFAR configs are their -r100 config with another
imbalance ratio (checked here), so the -r100 one trains for all three."""
import logging
import math
import re

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from sar_mm.datasets import long_tailed_counts
from tests.lt_fakes import write_fake_cifar, write_fake_imagenet_lt
from tests.utils import REPO

# configs/sar also holds the segmentation configs: '-lt' names only
CONFIGS = sorted(
    str(p.relative_to(REPO)) for folder in ('ce', 'la', 'bcl', 'rcl', 'sar')
    for p in (REPO / 'configs' / folder).glob('*-lt*.py')) + [
        f'configs/demo/{name}_lt-digits.py' for name in ('ce', 'bcl', 'sar')
    ]


# one config per distinct model, data pipeline and schedule
TRAINED = [c for c in CONFIGS if not re.search(r'-r(50|10)\.py$', c)]
RATIO_VARIANTS = [c for c in CONFIGS if c not in TRAINED]


def test_the_issue_configs_exist():
    for method in ('ce', 'la', 'bcl', 'rcl', 'sar'):
        for dataset in ('cifar10', 'cifar100'):
            for ratio in (100, 50, 10):
                name = f'{method}_resnet32_1xb256_{dataset}-lt-r{ratio}.py'
                assert f'configs/{method}/{name}' in CONFIGS
    assert 'configs/bcl/bcl_resnet50_4xb64_imagenet-lt.py' in CONFIGS
    assert 'configs/bcl/bcl_resnext50-32x4d_4xb64_imagenet-lt.py' in CONFIGS


@pytest.fixture(scope='module')
def fake_roots(tmp_path_factory):
    """Enough images per class for n_max=100 at every ratio (10 needs most)."""
    root = tmp_path_factory.mktemp('lt_cls_data')
    return dict(
        CIFAR10LT=write_fake_cifar(
            root / 'cifar10', 10, long_tailed_counts(100, 10, 10), 2,
            random_pixels=True),
        CIFAR100LT=write_fake_cifar(
            root / 'cifar100', 100, long_tailed_counts(100, 100, 10), 1,
            random_pixels=True),
        ImageNetLT=write_fake_imagenet_lt(root / 'imagenet_lt'))


def one_iteration(cfg: Config, roots: dict, work_dir) -> Config:
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[name]
        loader.update(
            batch_size=4, num_workers=0, persistent_workers=False)
        dataset = loader.dataset
        dataset.indices = 4
        if dataset.type in roots:
            dataset.data_root = roots[dataset.type]
        if dataset.type.startswith('CIFAR'):
            dataset.n_max = 100  # the fake files hold 100 images per class
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
    # no checkpoint or visualizer files: each writes the formatted config
    cfg.default_hooks.checkpoint = None
    cfg.visualizer.vis_backends = []
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = work_dir.name
    cfg.log_level = 'WARNING'
    return cfg


@pytest.mark.parametrize('config', RATIO_VARIANTS)
def test_ratio_variant_is_its_r100_config_with_another_ratio(config):
    ratio = int(re.search(r'-r(\d+)\.py$', config).group(1))
    variant = Config.fromfile(REPO / config).to_dict()
    base = Config.fromfile(
        REPO / re.sub(r'-r\d+\.py$', '-r100.py', config)).to_dict()
    assert variant['train_dataloader']['dataset'].pop(
        'imbalance_ratio') == ratio
    assert base['train_dataloader']['dataset'].pop('imbalance_ratio') == 100
    assert variant == base


@pytest.mark.slow
@pytest.mark.parametrize('config', TRAINED)
def test_config_trains_one_iteration(config, fake_roots, tmp_path):
    cfg = one_iteration(Config.fromfile(REPO / config), fake_roots, tmp_path)
    assert cfg.custom_imports.imports == ['sar_mm']
    assert any(h.type == 'ClassCountsHook' for h in cfg.custom_hooks)
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    assert runner.iter == 1
    assert math.isfinite(hub.get_scalar('train/loss').current())
    assert 0 <= hub.get_scalar('val/accuracy/top1').current() <= 100


@pytest.fixture(autouse=True)
def quiet():
    logging.getLogger('mmengine').setLevel(logging.WARNING)
