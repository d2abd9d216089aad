"""--amp on CPU (bf16 autocast) for the SAR, BCL, RCL, GH and FixMatch + SAR
(classification and segmentation) configs: a dozen iterations or more with
finite losses (SAR's anchor softmax and, its gate opened early, its pull
loss, BCL/RCL's contrastive logits, GH's Sinkhorn past its warm-up epoch
and FixMatch's pseudo-labels all run under autocast)."""
import math

import pytest

from tests.utils import (DEMO_CONFIGS, NO_WORKERS, TEST_CONFIGS, run_tool,
                         scalars)

pytestmark = pytest.mark.slow

RCL = ('model.head.contrast_loss.type=RebalancedSupConLoss',
       'model.head.contrast_loss.prior_tau=1.0',
       'model.head.contrast_loss.feat_scale=1.5')
# LTDigits: 486 training images, batch 64 -> 7 (GH: drop_last) or 8
# iterations per epoch; BCL and RCL at batch 16: 31 iterations in one epoch
ITERS = 12
SHORT = (f'train_cfg.max_iters={ITERS}', f'train_cfg.val_interval={ITERS}')
# every correctly classified anchor passes: SAR's gate opens within ITERS
GATE_OPEN = 'model.sar.update_conf=0'
# every pseudo-label is kept: the unlabelled losses run from the start
KEEP_ALL = {'cls': 'model.threshold=0.0',
            'seg': 'model.semi_train_cfg.conf_thresh=0.0'}
# Each case: config, options, the keys that must be finite in every record,
# and those that must be > 0 in at least one (SAR's gate open, a loss past
# its warm-up): part of the table, so that renaming a case cannot silence
# them.
CASES = {
    'sar': (TEST_CONFIGS / 'fcn_tiny_lt-digit-scenes_sar.py',
            (*SHORT, GATE_OPEN),
            ('loss', 'loss_sar_anchor', 'loss_sar_pull'),
            ('loss_sar_pull', )),
    'bcl': (DEMO_CONFIGS / 'bcl_lt-digits.py',
            ('train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
             'train_dataloader.batch_size=16'),
            ('loss', 'loss_cls', 'loss_contrast'), ('loss_contrast', )),
    'rcl': (DEMO_CONFIGS / 'bcl_lt-digits.py',
            ('train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
             'train_dataloader.batch_size=16', *RCL),
            ('loss', 'loss_cls', 'loss_contrast'), ('loss_contrast', )),
    'fixmatch-sar-cls': (
        DEMO_CONFIGS / 'fixmatch-sar_lt-digits-semi-lt.py',
        (*SHORT, GATE_OPEN, KEEP_ALL['cls']),
        ('loss', 'loss_x', 'loss_u', 'loss_sar_anchor', 'sup.loss_sar_pull',
         'unsup.loss_sar_pull'),
        ('loss_u', 'sup.loss_sar_pull', 'unsup.loss_sar_pull')),
    'fixmatch-sar-seg': (
        TEST_CONFIGS / 'fixmatch_tiny_lt-digit-scenes.py',
        (*SHORT, GATE_OPEN, KEEP_ALL['seg'], 'model.sar.pull_weight=0.1'),
        ('loss', 'sup.decode.loss_ce', 'unsup.loss_s', 'loss_sar_anchor',
         'sup.loss_sar_pull', 'unsup.loss_sar_pull', 'unsup.mask_ratio'),
        ('unsup.loss_s', 'sup.loss_sar_pull', 'unsup.loss_sar_pull')),
    'gh': (DEMO_CONFIGS / 'simclr_lt-digits_gh.py',
           ('train_cfg.max_epochs=2', 'custom_hooks.0.warmup_epochs=1',
            'custom_hooks.0.refresh_interval=1'), ('loss', 'loss_gh'),
           ('loss_gh', )),
}


@pytest.mark.parametrize('case', CASES)
def test_amp_trains_with_finite_losses(tmp_path, case):
    config, options, keys, positive = CASES[case]
    result = run_tool([
        'train.py', config, '--work-dir', 'wd', '--amp', '--cfg-options',
        *options, 'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.interval=1000', *NO_WORKERS
    ], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    log = next((tmp_path / 'wd').glob('*/*.log')).read_text()
    assert "type='CPUAmpOptimWrapper'" in log
    records = [r for r in scalars(tmp_path / 'wd') if 'loss' in r]
    assert len(records) >= ITERS
    for key in keys:
        values = [r[key] for r in records if key in r]
        assert values and all(map(math.isfinite, values)), key
    for key in positive:
        assert any(r.get(key, 0) > 0 for r in records), key
