"""Training N iterations in one go equals N/2, then --resume to N: weights,
buffers (SAR anchors and gate), optimizer and scheduler state, bitwise."""
import pytest
import torch

from tests.utils import TEST_CONFIGS, run_tool

pytestmark = pytest.mark.slow


def train(cwd, config, work_dir, iters, *extra):
    result = run_tool([
        'train.py', config, '--work-dir', work_dir, *extra, '--cfg-options',
        f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
        'default_hooks.checkpoint.interval=1000'
    ], cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    return torch.load(
        cwd / work_dir / f'iter_{iters}.pth', map_location='cpu',
        weights_only=False)


def assert_same(a, b, path='checkpoint'):
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), path
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            assert_same(a[key], b[key], f'{path}.{key}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f'{path}[{i}]')
    else:
        assert a == b, path


def test_sar_demo_resumes_exactly(tmp_path):
    config = TEST_CONFIGS / 'fcn_tiny_lt-digit-scenes_sar.py'
    straight = train(tmp_path, config, 'straight', 40)
    train(tmp_path, config, 'split', 20)
    resumed = train(tmp_path, config, 'split', 40, '--resume')
    assert straight['state_dict']['sar.gate_open'].item()
    assert straight['state_dict']['sar.anchors_initialized'].item()
    for key in ('state_dict', 'optimizer', 'param_schedulers'):
        assert_same(straight[key], resumed[key], key)
    assert straight['meta']['iter'] == resumed['meta']['iter'] == 40
