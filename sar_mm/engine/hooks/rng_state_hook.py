import random

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop
from mmpretrain.registry import HOOKS as PRETRAIN_HOOKS
from mmseg.registry import HOOKS as SEG_HOOKS


@SEG_HOOKS.register_module()
@PRETRAIN_HOOKS.register_module()
class RNGStateHook(Hook):
    """Make ``--resume`` continue bit-exactly: save the python, numpy and
    torch RNG states in every checkpoint and restore them when training
    resumes.

    mmengine re-seeds every generator from ``randomness.seed`` on start and
    restores only the data order on resume, so a resumed run would draw
    different augmentations (numpy, python ``random``, torchvision's torch
    calls) and different model randomness (dropout, sampling inside losses)
    than the run it continues. The states are put back where the
    uninterrupted run had them:

    - epoch-based loops start a fresh epoch: all states are restored before
      its dataloader draws anything;
    - iteration-based loops replay the dataloader up to the saved iteration,
      which redraws the data pipeline's numpy/python randomness, and load
      the next batch before any hook runs: only the torch state (what the
      model consumes) is restored, right before the first resumed
      iteration.

    Exact for ``num_workers=0`` and for non-persistent workers (mmengine
    seeds those the same way every epoch); persistent workers carry RNG
    states this hook cannot see. ``tools/train.py`` adds it to every run.
    """

    priority = 'VERY_LOW'

    def __init__(self):
        self._pending = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        name, keys, pos, has_gauss, gauss = np.random.get_state()
        # numpy's key array as a tensor: weights-only loading refuses arrays
        state = dict(
            torch=torch.get_rng_state(),
            numpy=(name, torch.from_numpy(keys.astype(np.int64)), pos,
                   has_gauss, gauss),
            python=random.getstate())
        if torch.cuda.is_available():
            state['cuda'] = torch.cuda.get_rng_state_all()
        checkpoint['rng_state'] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._pending = checkpoint.get('rng_state')

    def before_train_epoch(self, runner) -> None:
        if self._pending is not None and isinstance(runner.train_loop,
                                                    EpochBasedTrainLoop):
            name, keys, pos, has_gauss, gauss = self._pending['numpy']
            np.random.set_state(
                (name, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
            random.setstate(self._pending['python'])
            self._restore_torch()

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        if self._pending is not None:
            self._restore_torch()

    def _restore_torch(self) -> None:
        state, self._pending = self._pending, None
        torch.set_rng_state(state['torch'])
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state['cuda'])
