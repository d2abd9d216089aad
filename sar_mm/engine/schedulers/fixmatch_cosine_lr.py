import math

from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler
from mmpretrain.registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class FixMatchCosineLR(LRSchedulerMixin, _ParamScheduler):
    """FixMatch's cosine learning-rate decay, which stops short of zero.

    ``lr_t = lr_0 * cos(cycles * pi * t / T)`` for step ``t`` of ``T =
    end - begin`` steps; with FixMatch's ``cycles = 7 / 16`` the rate ends
    at ``cos(7 pi / 16) = 0.195`` of its start. Sohn et al., NeurIPS 2020
    (https://arxiv.org/abs/2001.07685), section 4 / ``fixmatch.py`` of
    github.com/google-research/fixmatch (no warm-up). mmengine's
    ``CosineAnnealingLR`` is the half-period ``(1 + cos) / 2`` curve
    instead, which reaches 0.

    Args:
        optimizer (Optimizer | OptimWrapper): The optimizer.
        cycles (float): Fraction of a half cosine period covered.
            Defaults to 7 / 16.
        begin (int): First step. Defaults to 0.
        end (int): Step after the last; T = end - begin. Required.
        last_step (int): Index of the last step, for resuming without a
            state dict. Defaults to -1.
        by_epoch (bool): Step per epoch rather than per iteration.
            Defaults to False (FixMatch steps every iteration).
        verbose (bool): Print every update. Defaults to False.
    """

    def __init__(self,
                 optimizer,
                 cycles: float = 7 / 16,
                 begin: int = 0,
                 end: int = INF,
                 last_step: int = -1,
                 by_epoch: bool = False,
                 verbose: bool = False):
        if end == INF:
            raise ValueError('FixMatchCosineLR needs end (the last step + 1)')
        if not 0 < cycles <= 1:
            raise ValueError(f'cycles must be in (0, 1], got {cycles}')
        self.cycles = cycles
        self.total_steps = end - begin
        super().__init__(
            optimizer,
            begin=begin,
            end=end,
            last_step=last_step,
            by_epoch=by_epoch,
            verbose=verbose)

    def _get_value(self):
        factor = math.cos(self.cycles * math.pi * self.last_step /
                          self.total_steps)
        return [base * factor for base in self.base_values]
