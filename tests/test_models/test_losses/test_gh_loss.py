import math

import pytest
import torch

from sar_mm.models.losses import GHLoss
from sar_mm.utils import UserInputError

K, D = 5, 8


def slow_gh_loss(z1, z2, frame, prior, eps, gamma, iters):
    """GH loss written out element by element, in float64, with the
    linear-domain Sinkhorn of the paper's reference."""
    z1, z2, frame, prior = (x.double().tolist()
                            for x in (z1, z2, frame, prior))
    n, k = len(z1), len(frame)

    def logits(z):
        rows = []
        for zi in z:
            row = [sum(a * b for a, b in zip(zi, m)) for m in frame]
            norm = math.sqrt(sum(v * v for v in row))
            rows.append([v / norm for v in row])
        return rows

    def assign(t):
        kernel = [[math.exp(t[i][c] / eps) for i in range(n)]
                  for c in range(k)]
        r, col = [1.0] * k, [1.0] * n
        for _ in range(iters):
            r = [
                prior[c] / sum(kernel[c][i] * col[i] for i in range(n))
                for c in range(k)
            ]
            col = [(1 / n) / sum(kernel[c][i] * r[c] for c in range(k))
                   for i in range(n)]
        return [[n * r[c] * kernel[c][i] * col[i] for c in range(k)]
                for i in range(n)]

    def log_softmax(row):
        top = max(v / gamma for v in row)
        log_total = top + math.log(
            sum(math.exp(v / gamma - top) for v in row))
        return [v / gamma - log_total for v in row]

    t1, t2 = logits(z1), logits(z2)
    q1, q2 = assign(t1), assign(t2)
    loss = 0.0
    for i in range(n):
        p1, p2 = log_softmax(t1[i]), log_softmax(t2[i])
        loss -= sum(q1[i][c] * p2[c] for c in range(k)) / n
        loss -= sum(q2[i][c] * p1[c] for c in range(k)) / n
    return loss


def make_views(n=6, seed=0):
    gen = torch.Generator().manual_seed(seed)
    z1 = torch.randn(n, D, generator=gen)
    return z1, z1 + 0.3 * torch.randn(n, D, generator=gen)


def test_equals_the_slow_reference():
    loss = GHLoss(K, D, loss_weight=0.7, num_samples=10)
    loss.prior.copy_(torch.tensor([0.4, 0.25, 0.15, 0.12, 0.08]))
    z1, z2 = make_views()
    value = loss(z1, z2, torch.arange(6))
    expected = 0.7 * slow_gh_loss(z1, z2, loss.etf, loss.prior, 0.05, 0.1,
                                  300)
    assert value.item() == pytest.approx(expected, rel=1e-4)


def test_gradient_reaches_both_views():
    loss = GHLoss(K, D, num_samples=10)
    z1, z2 = (z.requires_grad_() for z in make_views())
    loss(z1, z2, torch.arange(6)).backward()
    assert z1.grad.abs().sum() > 0 and z2.grad.abs().sum() > 0


def test_ramp_scales_and_zero_skips_the_loss():
    loss = GHLoss(K, D, num_samples=10)
    z1, z2 = make_views()
    full = loss(z1, z2, torch.arange(6))
    loss.ramp = 0.25
    assert loss(z1, z2, torch.arange(6)).item() == pytest.approx(
        0.25 * full.item(), rel=1e-6)
    loss.ramp = 0.0
    assert loss(z1, z2, torch.arange(6)).item() == 0


def test_stable_under_bfloat16_autocast():
    loss = GHLoss(K, D, num_samples=10)
    z1, z2 = make_views()
    reference = loss(z1, z2, torch.arange(6))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        value = loss(z1.bfloat16(), z2.bfloat16(), torch.arange(6))
    assert value.dtype == torch.float32
    assert value.item() == pytest.approx(reference.item(), rel=0.05)


def test_running_predictions_per_sample():
    loss = GHLoss(K, D, num_samples=10)
    loss.ema_decay = 0.9
    z1, z2 = make_views(n=3)
    idx = torch.tensor([7, 2, 5])
    loss(z1, z2, idx)
    first = loss.geometric_logits(z1)
    # the first visit copies, zero rows stay zero and unseen
    assert torch.equal(loss.ema_logits[idx], first)
    assert loss.ema_seen.nonzero().flatten().tolist() == [2, 5, 7]
    assert loss.ema_logits[[0, 1, 3, 4, 6, 8, 9]].abs().sum() == 0
    # later visits decay
    z1b, z2b = make_views(n=3, seed=1)
    loss(z1b, z2b, idx)
    second = loss.geometric_logits(z1b)
    assert torch.allclose(loss.ema_logits[idx], 0.9 * first + 0.1 * second)
    # no update in eval mode
    loss.eval()
    before = loss.ema_logits.clone()
    loss(z2b, z1b, idx)
    assert torch.equal(loss.ema_logits, before)


def test_prior_counts_the_peaks_of_visited_samples():
    loss = GHLoss(K, D, num_samples=6)
    loss.ema_logits[:4] = torch.eye(K)[[1, 1, 3, 0]]
    loss.ema_seen[:4] = True
    # rows 4 and 5 are unseen: zero rows would otherwise count for class 0
    loss.refresh_prior()
    assert loss.prior.tolist() == pytest.approx([0.25, 0.5, 0, 0.25, 0])
    floored = GHLoss(K, D, num_samples=6, prior_floor=1)
    floored.ema_logits.copy_(loss.ema_logits)
    floored.ema_seen.copy_(loss.ema_seen)
    floored.refresh_prior()
    assert floored.prior.tolist() == pytest.approx(
        [2 / 9, 3 / 9, 1 / 9, 2 / 9, 1 / 9])


def test_save_and_load_restore_the_state_bitwise():
    loss = GHLoss(K, D, num_samples=10)
    z1, z2 = make_views()
    loss(z1, z2, torch.arange(6))
    loss.refresh_prior()
    loss.ramp, loss.ema_decay = 0.5, 0.999
    state = loss.state_dict()
    assert 'ema_touched' not in state
    restored = GHLoss(K, D, etf_seed=1)  # unsized, other frame
    restored.load_state_dict(state)
    for name in ('etf', 'prior', 'ema_logits', 'ema_seen'):
        assert torch.equal(getattr(restored, name), getattr(loss, name))
    assert (restored.ramp, restored.ema_decay) == (0.5, 0.999)
    assert restored.num_samples == 10


def test_bad_input_is_a_clear_error():
    with pytest.raises(UserInputError, match='GHScheduleHook'):
        GHLoss(K, D)(*make_views(), torch.arange(6))
    with pytest.raises(UserInputError, match='outside the GH table of 4'):
        GHLoss(K, D, num_samples=4)(*make_views(), torch.arange(6))
    with pytest.raises(UserInputError, match='feat_dim'):
        GHLoss(K, 16, num_samples=10)(*make_views(), torch.arange(6))
    with pytest.raises(UserInputError, match='eps'):
        GHLoss(K, D, eps=0)


def _sync_worker(rank, init_file, results):
    import torch.distributed as dist
    dist.init_process_group(
        'gloo', init_method=f'file://{init_file}', rank=rank, world_size=2)
    torch.set_num_threads(1)
    loss = GHLoss(K, D, num_samples=6)
    # the table every rank starts the epoch with: rows 0..4 visited
    start = torch.arange(30.).reshape(6, K)
    loss.ema_logits.copy_(start)
    loss.ema_seen[:5] = True
    loss.ema_decay = 0.5
    # disjoint draws except sample 4 (the sampler's padding), and sample 5
    # is first seen on rank 1
    idx = torch.tensor([[0, 2, 4], [1, 3, 4, 5]][rank])
    update = torch.full((len(idx), K), 100. * (rank + 1))
    loss.update_table(update, idx)
    loss.sync_table()
    loss.refresh_prior()
    results[rank] = (loss.ema_logits.clone(), loss.ema_seen.clone(),
                     loss.prior.clone(), loss.ema_touched.any().item())
    dist.destroy_process_group()


@pytest.mark.slow
def test_ranks_merge_their_tables_once_per_epoch(tmp_path):
    import torch.multiprocessing as mp
    manager = mp.Manager()
    results = manager.dict()
    mp.spawn(
        _sync_worker, args=(str(tmp_path / 'init'), results), nprocs=2)
    (table0, seen0, prior0, touched0), (table1, seen1, prior1,
                                        touched1) = results[0], results[1]
    assert torch.equal(table0, table1) and torch.equal(prior0, prior1)
    assert torch.equal(seen0, seen1) and seen0.all()
    assert not touched0 and not touched1
    start = torch.arange(30.).reshape(6, K)
    expected = start.clone()
    expected[[0, 2]] = 0.5 * start[[0, 2]] + 50  # rank 0's update
    expected[[1, 3]] = 0.5 * start[[1, 3]] + 100  # rank 1's update
    expected[4] = 0.5 * start[4] + (50 + 100) / 2  # both: their mean
    expected[5] = 200  # first visit on rank 1 copies
    assert torch.allclose(table0, expected)
