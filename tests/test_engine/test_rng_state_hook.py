"""RNGStateHook: what it saves survives weights-only loading, and each loop
type gets the states back at the right moment."""
import random
from types import SimpleNamespace

import numpy as np
import torch
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop

from sar_mm.compat.checkpoint import safe_load
from sar_mm.engine.hooks import RNGStateHook


def draws():
    return np.random.rand(), random.random(), torch.rand(1).item()


def saved_and_reloaded(tmp_path):
    """Seed, checkpoint through the hook, reload weights-only; returns the
    reloaded checkpoint and the draws that followed the save."""
    np.random.seed(3)
    random.seed(4)
    torch.manual_seed(5)
    checkpoint = {}
    RNGStateHook().before_save_checkpoint(runner(IterBasedTrainLoop),
                                          checkpoint)
    torch.save(checkpoint, tmp_path / 'ckpt.pth')
    return safe_load(str(tmp_path / 'ckpt.pth')), draws()


def runner(loop_cls):
    return SimpleNamespace(
        train_loop=loop_cls.__new__(loop_cls), epoch=0, iter=0, hooks=[])


def test_epoch_loop_gets_every_state_back_before_the_epoch(tmp_path):
    checkpoint, expected = saved_and_reloaded(tmp_path)
    hook = RNGStateHook()
    hook.after_load_checkpoint(None, checkpoint)
    draws()  # what mmengine's re-seeding and setup would consume
    hook.before_train_epoch(runner(EpochBasedTrainLoop))
    assert draws() == expected
    # restored once only
    hook.before_train_iter(runner(EpochBasedTrainLoop), 0)
    assert draws() != expected


def test_iteration_loop_gets_only_torch_back_before_the_iteration(tmp_path):
    checkpoint, expected = saved_and_reloaded(tmp_path)
    hook = RNGStateHook()
    hook.after_load_checkpoint(None, checkpoint)
    # the loop calls before_train_epoch once, before its dataloader replay
    hook.before_train_epoch(runner(IterBasedTrainLoop))
    np.random.seed(0)  # the replay's numpy draws are left alone
    numpy_now = np.random.get_state()[1].copy()
    hook.before_train_iter(runner(IterBasedTrainLoop), 0)
    assert np.array_equal(np.random.get_state()[1], numpy_now)
    assert torch.rand(1).item() == expected[2]


def assert_nothing_restored(hook):
    torch.manual_seed(9)
    expected = torch.rand(1).item()
    torch.manual_seed(9)
    hook.before_train_epoch(runner(EpochBasedTrainLoop))
    hook.before_train_iter(runner(EpochBasedTrainLoop), 0)
    assert torch.rand(1).item() == expected


def test_without_a_resume_nothing_is_touched():
    assert_nothing_restored(RNGStateHook())


def test_one_process_saves_its_states_as_a_one_item_list(tmp_path):
    checkpoint, _ = saved_and_reloaded(tmp_path)
    assert len(checkpoint['rng_state']) == 1
    assert set(checkpoint['rng_state'][0]) >= {'torch', 'numpy', 'python'}


def test_states_of_another_number_of_processes_are_not_restored(tmp_path):
    """Two ranks' states in a one-process run: which would be this rank's?
    Nothing is restored (the 2-process case is tested in
    test_exact_resume.py)."""
    checkpoint, _ = saved_and_reloaded(tmp_path)
    checkpoint['rng_state'] = checkpoint['rng_state'] * 2
    hook = RNGStateHook()
    hook.after_load_checkpoint(None, checkpoint)
    assert_nothing_restored(hook)
