"""The GH demo through tools/train.py: pre-training with GH on LTDigits,
then the linear probe from its checkpoint; and a clear one-line error when
the pipeline drops the sample indices. (GH under --amp:
tests/test_robustness/test_amp.py.)"""
import pytest
import torch

from tests.utils import DEMO_CONFIGS, NO_WORKERS, run_tool, scalars

pytestmark = pytest.mark.slow


def test_gh_demo_pretrains_and_probes(tmp_path):
    result = run_tool([
        'train.py', DEMO_CONFIGS / 'simclr_lt-digits_gh.py', '--work-dir', 'pre',
        '--cfg-options', 'train_cfg.max_epochs=2', 'warmup_epochs=1',
        'custom_hooks.0.warmup_epochs=1', 'custom_hooks.0.refresh_interval=1',
        'default_hooks.checkpoint.interval=2',
        'default_hooks.logger.interval=1',
        *NO_WORKERS
    ], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'GH prior refreshed after epoch 1' in result.stdout
    by_epoch = {}
    for record in scalars(tmp_path / 'pre'):
        if 'loss_gh' in record:
            by_epoch.setdefault(record['epoch'], []).append(record['loss_gh'])
    assert set(by_epoch) == {1, 2}
    assert all(v == 0 for v in by_epoch[1])  # warm-up: plain SimCLR
    assert all(v > 0 for v in by_epoch[2])

    result = run_tool([
        'train.py', DEMO_CONFIGS / 'linear-probe_lt-digits.py', '--work-dir', 'probe',
        '--cfg-options', 'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
        f'model.backbone.init_cfg.checkpoint={tmp_path}/pre/epoch_2.pth',
        'val_dataloader.num_workers=0', *NO_WORKERS
    ], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    # the probe trained on the pre-trained backbone and left it untouched
    pretrained, probe = (torch.load(
        tmp_path / path, map_location='cpu', weights_only=False)['state_dict']
                         for path in ('pre/epoch_2.pth', 'probe/epoch_1.pth'))
    backbone = [key for key in probe if key.startswith('backbone.')]
    assert backbone and all(
        torch.equal(probe[key], pretrained[key]) for key in backbone)
    metrics = [r for r in scalars(tmp_path / 'probe')
               if 'accuracy/top1' in r][-1]
    assert {'accuracy/many', 'accuracy/medium', 'accuracy/few'} <= set(
        metrics)


def test_pipeline_without_sample_indices_stops_with_one_line(tmp_path):
    result = run_tool([
        'train.py', DEMO_CONFIGS / 'simclr_lt-digits_gh.py', '--work-dir', 'wd',
        '--cfg-options', 'train_cfg.max_epochs=1',
        'train_dataloader.dataset.pipeline.1.meta_keys=[img_shape]', *NO_WORKERS
    ], tmp_path)
    assert result.returncode == 1
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith('ERROR: Geometric Harmonization needs the '
                            'dataset index'), result.stderr[-2000:]
    assert 'Traceback' not in result.stderr
