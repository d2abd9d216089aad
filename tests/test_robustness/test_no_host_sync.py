"""No sar_mm module makes the host wait for the device inside a training
step: on CPU, the reading calls of torch are counted (tests.utils.HostReads)
during ``model.train_step`` (forward, backward, optimizer step) of real
mmseg / mmpretrain models carrying every sar_mm training module; on CUDA,
when present, a step runs under ``torch.cuda.set_sync_debug_mode('error')``
(benchmarks/gpu_check.py). Labels are checked once, on the CPU batch, by
DataCheckHook."""
import copy
import subprocess
import sys

import pytest
import torch
import torch.multiprocessing as mp
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmseg.registry import MODELS as SEG_MODELS

from benchmarks.common import HostReads, fake_seg_batch
from sar_mm.models.losses import BalancedSupConLoss
from sar_mm.models.utils import ClassCountsMixin, check_label_range
from tests.test_models.test_losses.supcon_reference import random_batch
from tests.utils import (DEMO_CONFIGS, REPO, TEST_CONFIGS, TINY_SEMI,
                         training_batches)


def reads_in_second_step(model, data):
    """HostReads of the second of two training steps (the first one
    broadcasts SAR's anchors once under DDP and fills lazy state)."""
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    model.train()
    model.train_step(copy.deepcopy(data), optim)
    with HostReads() as reads:
        model.train_step(data, optim)
    return reads


def test_the_counter_sees_reads_made_by_sar_mm():
    with HostReads() as reads:
        check_label_range(torch.tensor([[1, 2], [0, 255]]), 3)
    assert any(call.startswith('__bool__ models/utils/label_check.py')
               for call in reads.ours)
    with HostReads() as reads:
        torch.ones(3)[torch.tensor([True, False, True])].tolist()
    assert not reads.ours
    assert reads.upstream == {'bool-mask indexing': 1, 'tolist': 1}


def test_segmentation_step_with_sar_sampler_and_balanced_loss():
    """SAR (gate open, so the pull loss runs), LongTailPixelSampler
    (running estimate and hard mining) and ClassBalancedCrossEntropyLoss
    in an mmseg EncoderDecoder."""
    init_default_scope('mmseg')
    cfg = Config.fromfile(
        str(TEST_CONFIGS / 'fcn_tiny_lt-digit-scenes_sar_lt.py'))
    model = revert_sync_batchnorm(SEG_MODELS.build(cfg.model))
    model.sar.gate_open.fill_(True)
    model.sar.anchors_initialized.fill_(True)
    model.sar.update_conf = 0.0
    reads = reads_in_second_step(
        model, fake_seg_batch(11, 64, 2, ignore_rows=8))
    assert reads.ours == []
    # the counter was live: mmseg's own accuracy indexes by a mask
    assert reads.upstream['bool-mask indexing'] > 0


def test_semi_supervised_segmentation_step(tmp_path):
    """FixMatch + SAR with an EMA teacher and UniMatch + SAR on a real
    multi-branch batch: pseudo-labels, CutMix, the unlabelled losses and
    SAR's pull of confident pixels."""
    cfg = Config.fromfile(str(TINY_SEMI))
    batch, = training_batches(cfg, tmp_path)
    # UniMatch's two strong views: the FixMatch batch's one, twice
    two_views = {
        part: dict(branches, unsup_strong1=branches['unsup_strong'],
                   unsup_strong2=branches['unsup_strong'])
        for part, branches in batch.items()
    }
    for changes, data in ((dict(semi_train_cfg=dict(ema_teacher=True)),
                           batch), (dict(type='UniMatchSegmentor'),
                                    two_views)):
        init_default_scope('mmseg')
        model = revert_sync_batchnorm(
            SEG_MODELS.build(dict(cfg.model, sar=dict(), **changes)))
        model.teacher_synced = True
        model.sar.gate_open.fill_(True)
        model.sar.anchors_initialized.fill_(True)
        model.sar.update_conf = 0.0
        reads = reads_in_second_step(model, data)
        assert reads.ours == [], changes


@pytest.mark.parametrize('demo,head', [
    ('bcl_lt-digits.py', None),
    ('bcl_lt-digits.py', dict(contrast_loss=dict(
        type='RebalancedSupConLoss', prior_tau=1.0, feat_scale=1.5))),
    ('sar_lt-digits.py', None),
    ('simclr_lt-digits_gh.py', None),
    ('fixmatch-sar_lt-digits-semi-lt.py', None),
    (TEST_CONFIGS / 'sar_vit-tiny_lt-digits.py', None),
], ids=['bcl', 'rcl', 'sar-cls', 'gh', 'fixmatch-sar', 'sar-vit'])
def test_classification_and_self_supervised_steps(demo, head,
                                                  mmpretrain_scope):
    cfg = Config.fromfile(str(DEMO_CONFIGS / demo))  # or a full path
    if head is not None:
        cfg.merge_from_dict(dict(model=dict(head=head)))
    if 'gh_loss' in cfg.model:
        # 300 Sinkhorn iterations: the default tolerance check reads the
        # marginal error back every 10 (documented in GHLoss)
        cfg.model.gh_loss.sinkhorn_tol = 0
    loader = Runner.build_dataloader(
        dict(cfg.train_dataloader, num_workers=0, persistent_workers=False),
        seed=0)
    model = PRETRAIN_MODELS.build(cfg.model)
    for module in model.modules():
        if isinstance(module, ClassCountsMixin):
            module.set_class_counts(loader.dataset.metainfo['class_counts'])
    if 'gh_loss' in cfg.model:
        model.gh_loss.resize_table(len(loader.dataset))
    reads = reads_in_second_step(model, next(iter(loader)))
    assert reads.ours == []


def _contrast_worker(rank, init_file, sizes, results):
    torch.distributed.init_process_group(
        'gloo', init_method=f'file://{init_file}', rank=rank, world_size=2)
    feats, labels, prototypes = random_batch(seed=7)
    start = sum(sizes[:rank])
    mine = feats[start:start + sizes[rank]].clone().requires_grad_(True)
    loss_fn = BalancedSupConLoss()
    with HostReads() as reads:
        loss_fn(mine, labels[start:start + sizes[rank]], prototypes).backward()
    results[rank] = reads.ours
    torch.distributed.destroy_process_group()


@pytest.mark.parametrize('sizes', [(5, 5), (3, 7)])
def test_contrast_over_two_ranks_gathers_without_reads(tmp_path, sizes):
    """gather_rows exchanges the row counts as Python integers on the host
    (gloo), equal or not, and reads nothing back from the tensors."""
    results = mp.Manager().dict()
    mp.start_processes(
        _contrast_worker,
        args=(str(tmp_path / 'init'), sizes, results),
        nprocs=2,
        join=True,
        start_method='fork')
    assert results[0] == results[1] == []


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason='needs a CUDA device')
def test_cuda_steps_under_sync_debug_mode(tmp_path):
    """Each sar_mm module's forward and backward on the GPU under
    set_sync_debug_mode('error'), and a whole SAR segmentation step with
    every sync attributed (benchmarks/gpu_check.py, stage 'sync')."""
    out = tmp_path / 'gpu.md'
    result = subprocess.run(
        [sys.executable,
         str(REPO / 'benchmarks/gpu_check.py'), '--stages', 'sync',
         '--out', str(out)],
        capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[
        -3000:]
    assert 'sar_mm syncs: 0' in out.read_text()
