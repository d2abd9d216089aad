"""Every config under configs/lt/ builds and trains one CPU step on fake,
tiny ADE20K / Cityscapes data laid out as mmseg expects; the balanced-loss
configs get their statistics from tools/analysis_tools/class_stats.py run
on the same fake data."""
import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmseg.registry import METRICS, MODELS

from sar_mm.models.samplers import LongTailPixelSampler
from tests.lt_fakes import write_fake_ade20k, write_fake_cityscapes
from tests.utils import REPO, run_tool

pytestmark = pytest.mark.slow
LT_CONFIGS = sorted((REPO / 'configs' / 'lt').glob('*.py'))
CROP = (64, 64)


def shrink(cfg, data_root):
    """Fake data, a tiny crop, no pretrained weights, no worker processes."""
    cfg.merge_from_dict({
        'train_dataloader.dataset.data_root': str(data_root),
        'train_dataloader.batch_size': 2,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'model.data_preprocessor.size': CROP,
        'model.pretrained': None,
    })
    for step in cfg.train_dataloader.dataset.pipeline:
        if step.type == 'RandomResize':
            step.scale = CROP
        elif step.type == 'RandomCrop':
            step.crop_size = CROP


@pytest.mark.parametrize('config', LT_CONFIGS, ids=lambda p: p.stem)
def test_each_lt_config_trains_one_cpu_step(config, tmp_path):
    cfg = Config.fromfile(str(config))
    data_root = tmp_path / 'data'
    if 'ade20k' in config.name:
        write_fake_ade20k(data_root, num_train=3, num_val=0, size=(48, 64))
    else:
        write_fake_cityscapes(data_root, num_train=3, num_val=0)
    shrink(cfg, data_root)
    head_cfg = cfg.model.decode_head
    if head_cfg.loss_decode.type == 'ClassBalancedCrossEntropyLoss':
        stats = tmp_path / 'stats.json'
        result = run_tool([
            'analysis_tools/class_stats.py', config, '--out', stats, '--nproc',
            1, '--cfg-options',
            f'train_dataloader.dataset.data_root={data_root}'
        ], tmp_path)
        assert result.returncode == 0, result.stderr[-3000:]
        head_cfg.loss_decode.stats_file = str(stats)
        cfg.val_evaluator.stats_file = str(stats)

    init_default_scope('mmseg')
    loader = Runner.build_dataloader(cfg.train_dataloader)
    metric = METRICS.build(cfg.val_evaluator)
    # checks the statistics against the dataset's classes
    metric.dataset_meta = loader.dataset.metainfo
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    assert model.decode_head.num_classes == len(
        loader.dataset.metainfo['classes'])
    if 'ltsampler' in config.name:
        assert isinstance(model.decode_head.sampler, LongTailPixelSampler)
        assert model.decode_head.loss_decode.avg_non_ignore
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    model.train()
    log = model.train_step(next(iter(loader)), optim_wrapper)
    loss_name = model.decode_head.loss_decode.loss_name
    for key in ('loss', f'decode.{loss_name}', 'aux.loss_ce'):
        assert torch.isfinite(log[key]), key
    if cfg.model.type == 'SAREncoderDecoder':
        assert torch.isfinite(log['loss_sar_anchor'])
    if 'ltsampler' in config.name:
        # the running estimate saw this batch's valid labels
        assert int(model.decode_head.sampler.running_counts.sum()) > 0


@pytest.mark.parametrize('remedy', ['cbce', 'ltsampler'])
def test_sar_config_is_its_remedy_config_plus_sar(remedy):
    name = 'deeplabv3-{}_r50-d8_4xb4-80k_ade20k-512x512.py'
    sar = Config.fromfile(str(REPO / 'configs/lt' /
                              name.format(f'sar-{remedy}')))
    base = Config.fromfile(str(REPO / 'configs/lt' / name.format(remedy)))
    assert sar.model == dict(base.model, type='SAREncoderDecoder', sar={})
    assert {k: v for k, v in sar.items() if k != 'model'} == \
        {k: v for k, v in base.items() if k != 'model'}
