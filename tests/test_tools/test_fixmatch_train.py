"""FixMatch (+ SAR) through tools/train.py on the built-in digits: the demo
trains and reports many/medium/few accuracy, evaluation uses the EMA of the
weights, and bad semi-supervised settings stop with one line."""
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from tests.test_robustness.test_bad_inputs import one_error_line
from tests.utils import DEMO_CONFIGS, run_tool, scalars

pytestmark = pytest.mark.slow
LT_SAR = DEMO_CONFIGS / 'fixmatch-sar_lt-digits-semi-lt.py'
SHORT = ('train_cfg.max_iters=4', 'train_cfg.val_interval=4',
         'default_hooks.logger.interval=1',
         'default_hooks.checkpoint.interval=4')


def test_fixmatch_sar_demo_trains_and_reports_shot_groups(tmp_path):
    result = run_tool(
        ['train.py', LT_SAR, '--work-dir', 'wd', '--cfg-options', *SHORT],
        tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    records = scalars(tmp_path / 'wd')
    train = [r for r in records if 'loss_u' in r]
    assert [r['step'] for r in train] == list(range(1, 5))
    for key in ('loss_x', 'loss_u', 'mask_ratio', 'loss_sar_anchor',
                'sup.loss_sar_pull', 'unsup.loss_sar_pull', 'sar_gate_open'):
        assert all(key in r for r in train), key
    val = [r for r in records if 'accuracy/top1' in r]
    assert len(val) == 1
    # digits 0-2 have > 10 labels, 6-9 fewer than 5
    assert {'accuracy/many', 'accuracy/medium', 'accuracy/few'} <= set(
        val[0])
    log = next((tmp_path / 'wd').glob('*/*.log')).read_text()
    assert 'accuracy/few' in log and 'accuracy/few_origin' in log
    # the checkpoint's state_dict is the EMA model, which tools/test.py
    # evaluates with the same shot groups
    result = run_tool(
        ['test.py', LT_SAR, 'wd/iter_4.pth', '--work-dir', 'test_wd'],
        tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'accuracy/few' in result.stdout + result.stderr


class RecordWeights(Hook):
    """Parameters after every training step and during validation (runs
    after EMAHook's swaps: lowest priority)."""
    priority = 'LOWEST'

    def __init__(self):
        self.trained, self.validated, self.restored = [], [], []

    @staticmethod
    def _params(runner):
        return {k: v.detach().clone()
                for k, v in runner.model.named_parameters()}

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.trained.append(self._params(runner))

    def before_val_epoch(self, runner):
        self.validated.append(self._params(runner))

    def after_val_epoch(self, runner, metrics=None):
        self.restored.append(self._params(runner))


def test_evaluation_uses_the_ema_of_the_weights(tmp_path):
    """EMAHook(momentum=m): the first update copies, then
    ema <- (1 - m) ema + m theta; validation and the saved state_dict hold
    the EMA, training continues from the raw weights."""
    cfg = Config.fromfile(str(DEMO_CONFIGS / 'fixmatch_lt-digits-semi.py'))
    momentum, steps = 0.3, 4
    cfg.custom_hooks[-1].momentum = momentum
    cfg.train_cfg.update(max_iters=steps, val_interval=steps)
    cfg.param_scheduler[0].end = steps
    cfg.default_hooks.checkpoint.interval = steps
    cfg.work_dir = str(tmp_path)
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    record = RecordWeights()
    runner.register_hook(record)
    runner.train()

    assert len(record.trained) == steps and len(record.validated) == 1
    ema = dict(record.trained[0])
    for params in record.trained[1:]:
        ema = {k: (1 - momentum) * ema[k] + momentum * params[k]
               for k in ema}
    moved = 0
    for key, value in ema.items():
        torch.testing.assert_close(record.validated[0][key], value)
        assert torch.equal(record.restored[0][key], record.trained[-1][key])
        moved += not torch.equal(value, record.trained[-1][key])
    assert moved > 0  # the EMA is not the raw model
    saved = torch.load(tmp_path / f'iter_{steps}.pth', weights_only=False)
    for key, value in ema.items():
        torch.testing.assert_close(saved['state_dict'][key], value)


# (unknown sar keys, bad values and heads are refused at build time:
# tests/test_models/test_classifiers/test_fixmatch_classifier.py)
@pytest.mark.parametrize('options,match', [
    (['train_dataloader.dataset.labelled_per_class=130'],
     r"class 0 \('0'\) of LTDigits has 124 images, fewer than the 130 "
     'labelled'),
    (['train_dataloader.batch_size=30',
      'train_dataloader.sampler.batch_size=30'],
     r'batch_size 30 cannot hold source_ratio \[1, 7\] exactly'),
    (['train_dataloader.batch_size=16'],
     r'train_dataloader.batch_size \(16\) differs from '
     r'train_dataloader.sampler.batch_size \(64\)'),
])
def test_bad_semi_supervised_settings_stop_with_one_line(
        tmp_path, options, match):
    result = run_tool([
        'train.py', DEMO_CONFIGS / 'fixmatch-sar_lt-digits-semi.py',
        '--work-dir', 'wd', '--cfg-options', *SHORT, *options
    ], tmp_path)
    assert re.search(match, one_error_line(result)), result.stderr[-500:]
