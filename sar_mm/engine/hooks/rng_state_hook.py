import torch
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS as PRETRAIN_HOOKS
from mmseg.registry import HOOKS as SEG_HOOKS


@SEG_HOOKS.register_module()
@PRETRAIN_HOOKS.register_module()
class RNGStateHook(Hook):
    """Make ``--resume`` continue bit-exactly: save the torch RNG state in
    every checkpoint and restore it when training resumes.

    mmengine re-seeds python/numpy/torch from ``randomness.seed`` on start
    and, on resume, replays the dataloader up to the saved iteration, which
    reproduces the data order and the (numpy-driven) augmentations. What it
    does not reproduce is the torch RNG the *model* consumed (dropout,
    random sampling inside losses). This hook saves that state and restores
    it right before the first resumed iteration, after the dataloader replay.
    ``tools/train.py`` adds it to every run.
    """

    priority = 'VERY_LOW'

    def __init__(self):
        self._pending = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        state = dict(torch=torch.get_rng_state())
        if torch.cuda.is_available():
            state['cuda'] = torch.cuda.get_rng_state_all()
        checkpoint['rng_state'] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._pending = checkpoint.get('rng_state')

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        if self._pending is None:
            return
        torch.set_rng_state(self._pending['torch'])
        if 'cuda' in self._pending and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(self._pending['cuda'])
        self._pending = None
