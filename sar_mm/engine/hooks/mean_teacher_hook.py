from typing import Optional

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS
from torch import nn

from ...utils.errors import UserInputError


@HOOKS.register_module()
class MeanTeacherHook(Hook):
    """Keep a semi-supervised model's teacher an exponential moving average
    of its student.

    Restated from mmdet 3.x ``MeanTeacherHook``
    (``mmdet/engine/hooks/mean_teacher_hook.py``), with UniMatch-V2's
    schedule (``fixmatch.py`` of github.com/LiheYoung/UniMatch-V2). Before
    the first iteration the teacher becomes a copy of the student. After
    iteration ``t`` (0-based, every ``interval``-th)::

        m = max(1 / (t + 1), momentum)
        teacher = (1 - m) * teacher + m * student

    so early on the teacher is the running mean of the students so far, and
    later an EMA with decay ``1 - momentum`` (UniMatch-V2: momentum 0.004,
    decay 0.996). Parameters, and unless ``skip_buffers`` the floating-point
    buffers (batch-norm statistics, which the teacher uses in eval mode),
    are averaged; integer buffers are copied. The teacher is saved in the
    checkpoint, so ``--resume`` continues it.

    Args:
        momentum (float): Least weight of the student. Defaults to 0.004.
        interval (int): Update every this many iterations. Defaults to 1.
        skip_buffers (bool): Average parameters only; the buffers keep
            the student's values copied at the start (mmdet's default).
            Defaults to False.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self,
                 momentum: float = 0.004,
                 interval: int = 1,
                 skip_buffers: bool = False) -> None:
        if not 0 < momentum <= 1:
            raise UserInputError(
                f'MeanTeacherHook.momentum must be in (0, 1], got {momentum}')
        if not isinstance(interval, int) or interval < 1:
            raise UserInputError(
                f'MeanTeacherHook.interval must be a positive integer, got '
                f'{interval!r}')
        self.momentum = momentum
        self.interval = interval
        self.skip_buffers = skip_buffers

    @staticmethod
    def _model(runner) -> nn.Module:
        model = runner.model
        model = model.module if is_model_wrapper(model) else model
        if getattr(model, 'teacher', None) is None or \
                not hasattr(model, 'student'):
            raise UserInputError(
                f'MeanTeacherHook needs a model with an EMA teacher, e.g. '
                f'FixMatchSegmentor with semi_train_cfg=dict(ema_teacher='
                f'True); {type(model).__name__} has none.')
        return model

    def before_train(self, runner) -> None:
        model = self._model(runner)
        if runner.iter == 0:
            self.update(model, 1.0)
        model.teacher_synced = True

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if (runner.iter + 1) % self.interval:
            return
        self.update(
            self._model(runner), max(1 / (runner.iter + 1), self.momentum))

    @torch.no_grad()
    def update(self, model: nn.Module, momentum: float) -> None:
        """``teacher = (1 - momentum) * teacher + momentum * student``."""
        student, teacher = model.student, model.teacher
        for src, dst in zip(student.parameters(), teacher.parameters()):
            dst.mul_(1 - momentum).add_(src, alpha=momentum)
        if self.skip_buffers and momentum < 1:
            return
        for src, dst in zip(student.buffers(), teacher.buffers()):
            if dst.is_floating_point():
                dst.mul_(1 - momentum).add_(src, alpha=momentum)
            else:
                dst.copy_(src)
