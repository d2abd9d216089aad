"""--amp on CPU (bf16 autocast): 50 iterations with finite losses."""
import math

import pytest
import torch

from tests.utils import TEST_CONFIGS, run_tool

pytestmark = pytest.mark.slow


@pytest.mark.parametrize('config', [
    TEST_CONFIGS / 'fcn_tiny_lt-digit-scenes_sar_record.py',
], ids=lambda p: p.stem)
def test_amp_50_iterations(tmp_path, config):
    result = run_tool([
        'train.py', config, '--work-dir', 'wd', '--amp', '--cfg-options',
        'train_cfg.max_iters=50', 'train_cfg.val_interval=50',
        'default_hooks.checkpoint.interval=50'
    ], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    log = next((tmp_path / 'wd').glob('*/*.log')).read_text()
    assert "type='CPUAmpOptimWrapper'" in log
    losses = torch.load(
        tmp_path / 'wd' / 'rank0.pth', weights_only=False)['losses']
    assert len(losses) == 50 and all(map(math.isfinite, losses))
