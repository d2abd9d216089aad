"""tools/test.py on checkpoints: of every SAR adapter, and of FixMatch for
classification, with the plain config (no SAR, no FixMatch): SAR's entries
are training state, every model weight must be there, and the metrics
equal the last validation of training. And the training class counts reach
the test run whatever custom_hooks the config lists."""
import json

import pytest

from tests.utils import (DEMO_CONFIGS, TEST_CONFIGS, one_error_line,
                         run_tool, scalars)

TINY_CLS = TEST_CONFIGS / 'resnet_tiny_lt-digits.py'
TINY_SEG = TEST_CONFIGS / 'fcn_tiny_lt-digit-scenes.py'
SEMI_CLS = DEMO_CONFIGS / 'fixmatch-sar_lt-digits-semi-lt.py'
SEMI_CLS_PLAIN = DEMO_CONFIGS / 'supervised_lt-digits-semi-lt.py'
ONE_EPOCH = ('train_cfg.max_epochs=1', 'train_cfg.val_interval=1')
BCL = DEMO_CONFIGS / 'bcl_lt-digits.py'
SMALL = ('train_dataloader.dataset.indices=64',
         'train_dataloader.batch_size=32')
SHORT = ('train_cfg.max_iters=4', 'train_cfg.val_interval=4',
         'default_hooks.checkpoint.interval=4')

# adapter: (trained config, its options, plain config, checkpoint)
CASES = {
    'SARLinearClsHead': (TINY_CLS, (
        'model.head.type=SARLinearClsHead', 'model.head.sar.pull_weight=0.1',
        *ONE_EPOCH), TINY_CLS, 'epoch_1.pth'),
    'SARImageClassifier': (TINY_CLS, (
        'model.type=SARImageClassifier', 'model.sar.pull_weight=0.1',
        *ONE_EPOCH), TINY_CLS, 'epoch_1.pth'),
    # BCL's cosine classifier, trained on 64 digits
    'SARMultiViewImageClassifier': (BCL, (
        'model.type=SARMultiViewImageClassifier', 'model.sar.pull_weight=0.1',
        *ONE_EPOCH, *SMALL), BCL, 'epoch_1.pth'),
    'SAREncoderDecoder': (TEST_CONFIGS / 'fcn_tiny_lt-digit-scenes_sar.py',
                          SHORT, TINY_SEG, 'iter_4.pth'),
    'FixMatchClassifier': (SEMI_CLS, SHORT, SEMI_CLS_PLAIN, 'iter_4.pth'),
}


def run_tool_here(args, cwd, status=0):
    """``python tools/<script> args`` from ``cwd`` (in this process),
    expecting exit ``status``; what it printed."""
    result = run_tool(args, cwd)
    assert result.returncode == status, result.stderr[-3000:]
    return result


@pytest.mark.parametrize('adapter', CASES)
def test_plain_config_tests_the_checkpoint_as_trained(adapter, tmp_path):
    trained, options, plain, checkpoint = CASES[adapter]
    run_tool_here([
        'train.py', trained, '--work-dir', 'wd', '--cfg-options', *options,
        'default_hooks.logger.interval=1'
    ], tmp_path)
    val = [r for r in scalars(tmp_path / 'wd')
           if 'mIoU' in r or 'accuracy/top1' in r][-1]
    run_tool_here(['test.py', plain, f'wd/{checkpoint}', '--work-dir',
                   'test_wd'], tmp_path)
    metrics = json.loads(
        next((tmp_path / 'test_wd').glob('*/*.json')).read_text())
    compared = [k for k in val if k in metrics and k.startswith(
        ('mIoU', 'IoU', 'aAcc', 'mAcc', 'Acc', 'accuracy'))]
    assert any(k in compared for k in ('mIoU', 'accuracy/top1'))
    for key in compared:
        assert metrics[key] == val[key], key


def test_testing_adds_the_class_counts_hook_and_its_guard(tmp_path):
    """No ClassCountsHook in custom_hooks: tools/test.py adds it, so the
    metric groups classes by the training counts and a checkpoint trained
    with other counts is refused in one line."""
    hooks = ('custom_hooks=[]', 'model.head.type=LogitAdjustLinearClsHead')
    run_tool_here([
        'train.py', TINY_CLS, '--work-dir', 'wd', '--cfg-options', *hooks,
        'train_dataloader.dataset.imbalance_ratio=50', *ONE_EPOCH
    ], tmp_path)
    run_tool_here([
        'test.py', TINY_CLS, 'wd/epoch_1.pth', '--work-dir', 'test_wd',
        '--cfg-options', *hooks, 'train_dataloader.dataset.imbalance_ratio=50'
    ], tmp_path)
    metrics = json.loads(
        next((tmp_path / 'test_wd').glob('*/*.json')).read_text())
    per_class = [metrics[f'accuracy/per_class/{c}'] for c in range(10)]
    # ratio 50: 120, 77 | 50, 32, 21 | 13, 8, 5, 3, 2 images
    assert metrics['accuracy/many'] == pytest.approx(
        sum(per_class[:2]) / 2, abs=0.01)
    assert metrics['accuracy/few'] == pytest.approx(
        sum(per_class[5:]) / 5, abs=0.01)
    line = one_error_line(
        run_tool(['test.py', TINY_CLS, 'wd/epoch_1.pth', '--cfg-options',
                  *hooks], tmp_path))
    assert 'holds the class counts it was trained with, [120, 77, 50, 32, ' \
        '21, 13, 8, 5, 3, 2]' in line
