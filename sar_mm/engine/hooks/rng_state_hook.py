import logging
import random
from typing import List, Optional

import numpy as np
import torch
import torch.distributed as torch_dist
from mmengine.dist import get_dist_info
from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop
from mmpretrain.registry import HOOKS as PRETRAIN_HOOKS
from mmseg.registry import HOOKS as SEG_HOOKS

from ...utils.host_group import host_process_group


def rng_state() -> dict:
    """This process's python, numpy, torch (and current CUDA device's) random
    states, in a form weights-only loading accepts."""
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    # numpy's key array as a tensor: weights-only loading refuses arrays
    state = dict(
        torch=torch.get_rng_state(),
        numpy=(name, torch.from_numpy(keys.astype(np.int64)), pos,
               has_gauss, gauss),
        python=random.getstate())
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state()
    return state


def checkpoint_due(runner, by_epoch: bool) -> bool:
    """Whether a :class:`CheckpointHook` of the runner saves at the end of
    this iteration (``by_epoch=False``) or epoch: its own rule, read from
    the hook."""
    for hook in runner.hooks:
        if not isinstance(hook, CheckpointHook) or hook.by_epoch != by_epoch:
            continue
        if by_epoch:
            due = hook.every_n_epochs(runner, hook.interval, hook.save_begin) \
                or (hook.save_last and hook.is_last_train_epoch(runner))
        else:
            due = hook.every_n_train_iters(
                runner, hook.interval, hook.save_begin) or (
                    hook.save_last and hook.is_last_train_iter(runner))
        if due:
            return True
    return False


@SEG_HOOKS.register_module()
@PRETRAIN_HOOKS.register_module()
class RNGStateHook(Hook):
    """Make ``--resume`` continue bit-exactly, on any number of processes:
    save every rank's python, numpy and torch RNG states in each checkpoint
    and give each rank its own back when training resumes.

    mmengine re-seeds every generator from ``randomness.seed`` on start and
    restores only the data order on resume, so a resumed run would draw
    different augmentations (numpy, python ``random``, torchvision's torch
    calls) and different model randomness (dropout, sampling inside losses)
    than the run it continues. With ``diff_rank_seed=True`` every rank draws
    its own stream, so one rank's states are not enough: mmengine writes the
    checkpoint on rank 0 alone (``before_save_checkpoint`` runs there only),
    so this hook gathers all ranks' states on the host (gloo) right before
    a :class:`CheckpointHook` saves, by that hook's own schedule, and rank 0
    stores the list. A save the schedule does not announce (e.g. a best
    checkpoint) stores rank 0's states alone, which a multi-process resume
    does not restore. The states are put back where the uninterrupted run
    had them:

    - epoch-based loops start a fresh epoch: all states are restored before
      its dataloader draws anything;
    - iteration-based loops replay the dataloader up to the saved iteration,
      which redraws the data pipeline's numpy/python randomness, and load
      the next batch before any hook runs: only the torch state (what the
      model consumes) is restored, right before the first resumed
      iteration.

    A checkpoint written by another number of processes restores nothing
    (with a warning): the streams then start from the configured seed.
    Exact for ``num_workers=0`` and for non-persistent workers (mmengine
    seeds those the same way every epoch); persistent workers carry RNG
    states this hook cannot see. ``tools/train.py`` adds it to every run.
    """

    # before CheckpointHook (VERY_LOW): the states are gathered in
    # after_train_iter / after_train_epoch, before it saves
    priority = 'LOW'

    def __init__(self):
        self._pending: Optional[dict] = None
        # ((epoch, iter), every rank's states) for the save about to happen
        self._gathered: Optional[tuple] = None

    def _gather_if_due(self, runner, by_epoch: bool) -> None:
        if get_dist_info()[1] == 1 or not checkpoint_due(runner, by_epoch):
            return
        states: List[Optional[dict]] = [None] * get_dist_info()[1]
        torch_dist.all_gather_object(
            states, rng_state(), group=host_process_group())
        self._gathered = ((runner.epoch, runner.iter), states)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        self._gather_if_due(runner, by_epoch=False)

    def after_train_epoch(self, runner) -> None:
        self._gather_if_due(runner, by_epoch=True)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        step = (runner.epoch, runner.iter)
        if self._gathered is not None and self._gathered[0] == step:
            states = self._gathered[1]
        else:
            states = [rng_state()]
        checkpoint['rng_state'] = states

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        states = checkpoint.get('rng_state')
        if states is None:
            return
        if isinstance(states, dict):
            states = [states]  # earlier checkpoints: rank 0's alone
        rank, world_size = get_dist_info()
        if len(states) != world_size:
            print_log(
                f'The checkpoint holds the random states of {len(states)} '
                f'process(es) and this run has {world_size}: they are not '
                f'restored, so the resumed run draws other random numbers '
                f'than an uninterrupted one would.',
                logger='current',
                level=logging.WARNING)
            return
        self._pending = states[rank]

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
            if isinstance(state['cuda'], list):  # earlier: every device's
                torch.cuda.set_rng_state_all(state['cuda'])
            else:
                torch.cuda.set_rng_state(state['cuda'])
