"""A long run of the SAR demo: memory must not grow after warm-up."""
import math

import pytest
import torch

from tests.utils import TEST_CONFIGS, run_tool

pytestmark = pytest.mark.slow
# Peak RSS settles within the first 200 iterations; 600 more, with a
# checkpoint saved between the two readings, show any steady growth
# (a tensor or graph kept per step) well past the 5 % margin.
WARM, ITERS = 200, 800


def test_sar_demo_without_memory_growth(tmp_path):
    # a process of its own: the test process's RSS is not the run's
    result = run_tool([
        'train.py', TEST_CONFIGS / 'fcn_tiny_lt-digit-scenes_sar_record.py',
        '--work-dir', 'wd', '--cfg-options', f'train_cfg.max_iters={ITERS}',
        f'train_cfg.val_interval={ITERS}', 'default_hooks.logger.interval=100',
        f'default_hooks.checkpoint.interval={ITERS // 2}',
        f'custom_hooks.0.rss_at=[{WARM},{ITERS}]'
    ], tmp_path, timeout=1800, subprocess_=True)
    assert result.returncode == 0, result.stderr[-3000:]
    record = torch.load(tmp_path / 'wd' / 'rank0.pth', weights_only=False)
    rss = record['rss']
    assert rss[ITERS] <= 1.05 * rss[WARM], (
        f'peak RSS grew from {rss[WARM] / 2**20:.0f} MiB at iteration '
        f'{WARM} to {rss[ITERS] / 2**20:.0f} MiB at {ITERS}')
    losses = record['losses']
    assert len(losses) == ITERS and all(map(math.isfinite, losses))
