"""A test-only hook: records what the tests compare across runs and ranks.

Loaded by test configs with
``custom_imports = dict(imports=['sar_mm', 'tests.data.record_hook'])``.
"""
import os.path as osp
import resource

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS as PRETRAIN_HOOKS
from mmseg.registry import HOOKS as SEG_HOOKS


@SEG_HOOKS.register_module()
@PRETRAIN_HOOKS.register_module()
class RecordHook(Hook):
    """Saves ``work_dir/rank{r}.pth`` at the end: the loss of every
    iteration on this rank, the peak RSS at chosen iterations, and this
    rank's model state."""

    def __init__(self, rss_at=()):
        self.losses, self.rss = [], {}
        self.rss_at = set(rss_at)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.losses.append(float(outputs['loss']))
        if runner.iter + 1 in self.rss_at:
            # ru_maxrss is in KiB on Linux
            self.rss[runner.iter + 1] = resource.getrusage(
                resource.RUSAGE_SELF).ru_maxrss * 1024

    def after_run(self, runner):
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        torch.save(
            dict(losses=self.losses, rss=self.rss,
                 state_dict=model.state_dict()),
            osp.join(runner.work_dir, f'rank{get_rank()}.pth'))
