"""A long run of the SAR demo: memory must not grow after warm-up."""
import math

import pytest
import torch

from tests.utils import TEST_CONFIGS, run_tool

pytestmark = pytest.mark.slow


def test_sar_demo_2000_iterations_without_memory_growth(tmp_path):
    result = run_tool([
        'train.py', TEST_CONFIGS / 'fcn_tiny_lt-digit-scenes_sar_record.py',
        '--work-dir', 'wd', '--cfg-options', 'train_cfg.max_iters=2000',
        'train_cfg.val_interval=2000', 'default_hooks.logger.interval=100',
        'default_hooks.checkpoint.interval=1000',
        'custom_hooks.0.rss_at=[500,2000]'
    ], tmp_path, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    record = torch.load(tmp_path / 'wd' / 'rank0.pth', weights_only=False)
    rss = record['rss']
    assert rss[2000] <= 1.05 * rss[500], (
        f'peak RSS grew from {rss[500] / 2**20:.0f} MiB at iteration 500 to '
        f'{rss[2000] / 2**20:.0f} MiB at 2000')
    losses = record['losses']
    assert len(losses) == 2000 and all(map(math.isfinite, losses))
