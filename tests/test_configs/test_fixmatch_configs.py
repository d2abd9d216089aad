"""The FixMatch reproduction configs hold FixMatch's protocol and train one
iteration on fake CIFAR files; the LTDigits semi-supervised demos build."""
import logging
import math
import re

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from tests.lt_fakes import write_fake_cifar
from tests.utils import DEMO_CONFIGS, REPO

FOLDER = REPO / 'configs' / 'fixmatch'
LABELS = {'cifar10': (40, 250, 4000), 'cifar100': (400, 2500, 10000)}
CONFIGS = sorted(p.name for p in FOLDER.glob('*.py'))


def test_the_issue_configs_exist():
    for method in ('fixmatch', 'fixmatch-sar'):
        for dataset, counts in LABELS.items():
            arch = 'wrn-28-2' if dataset == 'cifar10' else 'wrn-28-8'
            for n in counts:
                name = f'{method}_{arch}_1xb64-mu7-1m_{dataset}-{n}labels.py'
                assert name in CONFIGS
    assert len(CONFIGS) == 12
    assert (FOLDER / 'README.md').is_file()


@pytest.mark.parametrize('name', CONFIGS)
def test_fixmatch_protocol(name):
    cfg = Config.fromfile(FOLDER / name)
    dataset, labels = re.search(r'_(cifar\d+)-(\d+)labels', name).groups()
    num_classes = 10 if dataset == 'cifar10' else 100
    model = cfg.model
    assert model.type == 'FixMatchClassifier'
    assert (model.threshold, model.unsup_weight) == (0.95, 1.0)
    assert ('sar' in model) == name.startswith('fixmatch-sar')
    assert (model.backbone.type, model.backbone.depth) == ('WideResNet', 28)
    assert model.backbone.widen_factor == (2 if num_classes == 10 else 8)
    assert model.head.num_classes == num_classes
    assert model.head.in_channels == 64 * model.backbone.widen_factor
    loader = cfg.train_dataloader
    split = loader.dataset
    assert split.labelled_per_class * num_classes == int(labels)
    assert split.unlabelled_includes_labelled
    assert loader.sampler.source_ratio == [1, 7]
    assert loader.batch_size == loader.sampler.batch_size == 64 * 8
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, optimizer.nesterov) == ('SGD', 0.03,
                                                                  True)
    assert optimizer.weight_decay == (5e-4 if num_classes == 10 else 1e-3)
    assert cfg.param_scheduler == [dict(type='FixMatchCosineLR', end=2**20)]
    assert cfg.train_cfg.max_iters == 2**20
    ema, = [h for h in cfg.custom_hooks if h.type == 'EMAHook']
    assert ema.momentum == 0.001  # decay 0.999


def train_briefly(cfg, iters, work_dir) -> Runner:
    """Train ``iters`` steps, validate, save nothing; the Runner."""
    cfg.train_cfg.update(max_iters=iters, val_interval=iters)
    cfg.default_hooks.checkpoint = None
    cfg.visualizer.vis_backends = []
    cfg.work_dir = str(work_dir)
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


@pytest.fixture(scope='module')
def fake_cifar(tmp_path_factory):
    root = tmp_path_factory.mktemp('semi_cifar')
    return dict(
        cifar10=write_fake_cifar(root / 'cifar10', 10, 12, 1,
                                 random_pixels=True),
        cifar100=write_fake_cifar(root / 'cifar100', 100, 5, 1,
                                  random_pixels=True))


@pytest.mark.slow
@pytest.mark.parametrize('name', [
    n for n in CONFIGS if n.endswith(('cifar10-40labels.py',
                                      'cifar100-400labels.py'))
])
def test_config_trains_one_iteration(name, fake_cifar, tmp_path):
    cfg = Config.fromfile(FOLDER / name)
    dataset = 'cifar10' if 'cifar10-' in name else 'cifar100'
    # a WRN-10-1 on CPU, 1 labelled + 7 unlabelled images per batch
    cfg.model.backbone.update(depth=10, widen_factor=1)
    cfg.model.head.in_channels = 64
    loader = cfg.train_dataloader
    loader.update(batch_size=8, num_workers=0, persistent_workers=False)
    loader.sampler.batch_size = 8
    loader.dataset.dataset.update(data_root=fake_cifar[dataset],
                                  n_max=12 if dataset == 'cifar10' else 5)
    for name_ in ('val_dataloader', 'test_dataloader'):
        cfg[name_].update(num_workers=0, persistent_workers=False)
        cfg[name_].dataset.update(data_root=fake_cifar[dataset], indices=8)
    hub = train_briefly(cfg, 1, tmp_path).message_hub
    assert math.isfinite(hub.get_scalar('train/loss').current())
    assert 0 <= hub.get_scalar('val/accuracy/top1').current() <= 100
    if 'sar' in name:
        assert math.isfinite(hub.get_scalar('train/loss_sar_anchor').current())


@pytest.mark.slow
@pytest.mark.parametrize('name', [
    'supervised_lt-digits-semi.py', 'supervised_lt-digits-semi-lt.py'
])
def test_supervised_baselines_train_on_the_labelled_part_only(
        name, tmp_path):
    cfg = Config.fromfile(DEMO_CONFIGS / name)
    twin = Config.fromfile(DEMO_CONFIGS / name.replace('supervised',
                                                       'fixmatch'))
    assert cfg.model.type == 'ImageClassifier'
    split = dict(twin.train_dataloader.dataset)
    for key in ('type', 'labelled_pipeline', 'unlabelled_pipeline'):
        split.pop(key)
    dataset = cfg.train_dataloader.dataset
    assert dataset.part == 'labelled'
    assert {k: dataset[k] for k in split} == split
    runner = train_briefly(cfg, 2, tmp_path)
    labelled = runner.train_dataloader.dataset
    assert len(labelled) == sum(labelled.metainfo['class_counts'])
    assert math.isfinite(
        runner.message_hub.get_scalar('train/loss').current())


@pytest.fixture(autouse=True)
def quiet():
    logging.getLogger('mmengine').setLevel(logging.WARNING)
