import pytest
import torch
import torch.multiprocessing as mp
from mmpretrain.registry import MODELS

from sar_mm.models.losses import BalancedSupConLoss
from tests.test_models.test_losses.supcon_reference import (
    random_batch, slow_contrastive_loss)


@pytest.mark.parametrize('temperature', [0.1, 0.5])
def test_matches_the_formula(temperature):
    feats, labels, prototypes = random_batch()
    loss = BalancedSupConLoss(temperature=temperature)(feats, labels,
                                                       prototypes)
    expected = slow_contrastive_loss(feats, labels, prototypes, temperature)
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_one_view_and_loss_weight():
    feats, labels, prototypes = random_batch(num_views=1, seed=3)
    loss = BalancedSupConLoss(temperature=0.2, loss_weight=0.6)(
        feats, labels, prototypes)
    expected = slow_contrastive_loss(feats, labels, prototypes, 0.2)
    assert loss.item() == pytest.approx(0.6 * expected, rel=1e-5)


def test_absent_classes_enter_through_their_prototypes():
    """Moving the prototype of a class absent from the batch changes the
    loss, and the gradient reaches it."""
    feats, labels, prototypes = random_batch()
    prototypes.requires_grad_(True)
    loss_fn = BalancedSupConLoss(temperature=0.1)
    loss = loss_fn(feats, labels, prototypes)
    loss.backward()
    assert prototypes.grad[5].abs().sum() > 0
    moved = prototypes.detach().clone()
    moved[5] = feats[0]  # the absent class now sits on an anchor
    assert loss_fn(feats, labels, moved).item() > loss.item()


def test_scale_invariance_and_stability():
    """Inputs are normalised inside; a low temperature does not overflow
    (the row maximum is subtracted)."""
    feats, labels, prototypes = random_batch()
    loss_fn = BalancedSupConLoss(temperature=0.01)
    loss = loss_fn(feats, labels, prototypes)
    scaled = loss_fn(feats * 1e3, labels, prototypes * 1e-3)
    assert torch.isfinite(loss)
    assert scaled.item() == pytest.approx(loss.item(), rel=1e-5)


def test_autocast_computes_in_fp32():
    feats, labels, prototypes = random_batch(batch=4, dim=16)
    loss_fn = BalancedSupConLoss(temperature=0.07)
    reference = loss_fn(feats, labels, prototypes)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = loss_fn(feats.bfloat16(), labels, prototypes.bfloat16())
    assert loss.dtype == torch.float32
    # only the bf16 rounding of the inputs differs
    assert loss.item() == pytest.approx(reference.item(), rel=2e-2)


def test_shape_errors():
    feats, labels, prototypes = random_batch()
    loss_fn = BalancedSupConLoss()
    with pytest.raises(ValueError, match=r'expected feats \(M, d\)'):
        loss_fn(feats, labels[:-1], prototypes)
    with pytest.raises(ValueError, match='prototypes'):
        loss_fn(feats, labels, prototypes[:, :4])
    with pytest.raises(ValueError, match='temperature must be > 0'):
        BalancedSupConLoss(temperature=0)


def _ddp_worker(rank, init_file, sizes, loss_cfg, results):
    torch.distributed.init_process_group(
        'gloo', init_method=f'file://{init_file}', rank=rank, world_size=2)
    feats, labels, prototypes = random_batch(seed=7)
    start = sum(sizes[:rank])
    mine = feats[start:start + sizes[rank]].clone().requires_grad_(True)
    prototypes.requires_grad_(True)
    loss = MODELS.build(dict(loss_cfg))(
        mine, labels[start:start + sizes[rank]], prototypes)
    # weighted by the rank's anchors: the sum over ranks is N x global loss
    (loss * sizes[rank]).backward()
    results[rank] = (loss.item(), mine.grad, prototypes.grad)
    torch.distributed.destroy_process_group()


@pytest.mark.parametrize('sizes', [(5, 5), (3, 7)])
@pytest.mark.parametrize('loss_cfg', [
    dict(type='BalancedSupConLoss', temperature=0.1),
    dict(type='RebalancedSupConLoss', temperature=0.2, feat_scale=1.5),
], ids=['bcl', 'rcl'])
def test_two_ranks_compute_the_global_batch_loss(tmp_path, sizes, loss_cfg):
    """Two processes holding parts of a batch give the loss and gradients
    of one process holding all of it (ranks may hold different counts)."""
    results = mp.Manager().dict()
    # fork: the workers inherit the imported, compat-patched modules
    mp.start_processes(
        _ddp_worker,
        args=(str(tmp_path / 'init'), sizes, loss_cfg, results),
        nprocs=2,
        join=True,
        start_method='fork')
    feats, labels, prototypes = random_batch(seed=7)
    feats.requires_grad_(True)
    prototypes.requires_grad_(True)
    loss = MODELS.build(dict(loss_cfg))(feats, labels, prototypes)
    (loss * 10).backward()
    ranks = [results[0], results[1]]
    assert sum(n * r[0] for n, r in zip(sizes, ranks)) == pytest.approx(
        10 * loss.item(), rel=1e-5)
    torch.testing.assert_close(
        torch.cat([r[1] for r in ranks]), feats.grad, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(
        ranks[0][2] + ranks[1][2], prototypes.grad, rtol=1e-4, atol=1e-6)


def test_each_rank_alone_without_gathering(tmp_path):
    """gather_across_ranks=False: each rank's loss is its own batch's."""
    results = mp.Manager().dict()
    cfg = dict(type='BalancedSupConLoss', gather_across_ranks=False)
    mp.start_processes(
        _ddp_worker,
        args=(str(tmp_path / 'init'), (5, 5), cfg, results),
        nprocs=2,
        join=True,
        start_method='fork')
    feats, labels, prototypes = random_batch(seed=7)
    for rank in (0, 1):
        part = slice(5 * rank, 5 * rank + 5)
        expected = slow_contrastive_loss(feats[part], labels[part],
                                         prototypes, 0.1)
        assert results[rank][0] == pytest.approx(expected, rel=1e-5)
