"""Training N iterations (epochs) in one go equals N/2, then --resume to N:
weights, buffers (SAR anchors and gate, GH prior and EMA table), optimizer
and scheduler state, and the EMA of the weights, bitwise, for the SAR, BCL,
GH and FixMatch + SAR demos, and for SAR on two processes that draw
different random numbers. SAR's gate opens early (update_conf=0: every
correctly classified anchor passes; a larger learning rate gets there
sooner), so its gate and EMA anchors are live state before the split."""
import pytest
import torch

from tests.utils import (DEMO_CONFIGS, NO_WORKERS, TEST_CONFIGS, free_port,
                         run_tool)

pytestmark = pytest.mark.slow
# the tiny SAR config's gate opens at iteration 7 of 16 instead of ~30
GATE_OPEN = ('model.sar.update_conf=0', 'optim_wrapper.optimizer.lr=0.1')


def train(cwd, config, work_dir, length, *options, resume=False,
          unit='iter', procs=1):
    tool = ['train.py', config] if procs == 1 else \
        ['dist_train.sh', config, procs]
    result = run_tool([
        *tool, '--work-dir', work_dir, *(['--resume'] if resume else []),
        '--cfg-options', f'train_cfg.max_{unit}s={length}', *options
    ], cwd, PORT=str(free_port()))
    assert result.returncode == 0, result.stderr[-3000:]
    return torch.load(
        cwd / work_dir / f'{unit}_{length}.pth', map_location='cpu',
        weights_only=False)


def straight_and_resumed(cwd, config, length, *options, unit='iter',
                         procs=1):
    kwargs = dict(unit=unit, procs=procs)
    straight = train(cwd, config, 'straight', length, *options, **kwargs)
    train(cwd, config, 'split', length // 2, *options, **kwargs)
    resumed = train(
        cwd, config, 'split', length, *options, resume=True, **kwargs)
    keys = ['state_dict', 'optimizer', 'param_schedulers']
    keys += ['ema_state_dict'] if 'ema_state_dict' in straight else []
    for key in keys:
        assert_same(straight[key], resumed[key], key)
    assert straight['meta'][unit] == resumed['meta'][unit] == length
    return straight


def assert_same(a, b, path='checkpoint'):
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), path
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            assert_same(a[key], b[key], f'{path}.{key}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f'{path}[{i}]')
    else:
        assert a == b, path


def test_sar_demo_resumes_exactly(tmp_path):
    straight = straight_and_resumed(
        tmp_path, TEST_CONFIGS / 'fcn_tiny_lt-digit-scenes_sar.py', 16,
        *GATE_OPEN, 'train_cfg.val_interval=16',
        'default_hooks.checkpoint.interval=8')
    assert straight['state_dict']['sar.gate_open'].item()
    assert straight['state_dict']['sar.anchors_initialized'].item()


def test_two_processes_with_their_own_random_streams_resume_exactly(
        tmp_path):
    """diff_rank_seed=True: each rank draws its own augmentations and
    dropout masks; each gets its own states back on resume."""
    straight = straight_and_resumed(
        tmp_path, TEST_CONFIGS / 'fcn_tiny_lt-digit-scenes_sar.py', 16,
        *GATE_OPEN, 'randomness.diff_rank_seed=True',
        'train_cfg.val_interval=16', 'default_hooks.checkpoint.interval=8',
        procs=2)
    assert straight['state_dict']['sar.anchors_initialized'].item()
    rank0, rank1 = straight['rng_state']
    assert not torch.equal(rank0['torch'], rank1['torch'])


def test_bcl_demo_resumes_exactly(tmp_path):
    # 3 random views per image (numpy, python and torchvision draws)
    straight = straight_and_resumed(
        tmp_path, DEMO_CONFIGS / 'bcl_lt-digits.py', 2,
        'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=1',
        *NO_WORKERS, unit='epoch')
    assert any(key.startswith('head.prototype_projector.')
               for key in straight['state_dict'])
    assert set(straight['rng_state'][0]) >= {'torch', 'numpy', 'python'}


def test_gh_demo_resumes_exactly(tmp_path):
    # GH active from epoch 2, prior refreshed after every epoch: the resumed
    # half refreshes from the EMA table it restored (4 epochs: every image
    # seen, despite drop_last)
    straight = straight_and_resumed(
        tmp_path, DEMO_CONFIGS / 'simclr_lt-digits_gh.py', 4,
        'custom_hooks.0.warmup_epochs=1', 'custom_hooks.0.refresh_interval=1',
        'default_hooks.checkpoint.interval=1', *NO_WORKERS, unit='epoch')
    state = straight['state_dict']
    assert state['gh_loss.ema_seen'].all()
    assert not torch.allclose(
        state['gh_loss.prior'], torch.full_like(state['gh_loss.prior'], 0.1))


def test_semi_supervised_run_resumes_exactly(tmp_path):
    """FixMatch + SAR with an EMA teacher: student, teacher, SAR anchors
    and gate, optimizer and scheduler, bitwise."""
    straight = straight_and_resumed(
        tmp_path, TEST_CONFIGS / 'fixmatch_tiny_lt-digit-scenes_sar-ema.py',
        8, 'train_cfg.val_interval=8', 'default_hooks.checkpoint.interval=4')
    state = straight['state_dict']
    assert any(key.startswith('teacher.') for key in state)
    assert 'sar.semantic_anchors' in state
    assert 'decode_head.conv_seg.weight' in state  # the student, top level


def test_fixmatch_sar_demo_resumes_exactly(tmp_path):
    # the sampler's two source streams, per-image weak/strong views, the EMA
    # of the weights and SAR's gated anchors (update_conf=0: open from
    # iteration 5 of 12 instead of ~12 of 16)
    straight = straight_and_resumed(
        tmp_path, DEMO_CONFIGS / 'fixmatch-sar_lt-digits-semi-lt.py', 12,
        'model.sar.update_conf=0', 'train_cfg.val_interval=12',
        'default_hooks.checkpoint.interval=6')
    assert 'ema_state_dict' in straight
    assert straight['state_dict']['sar.gate_open'].item()
