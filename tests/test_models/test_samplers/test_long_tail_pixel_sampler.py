"""LongTailPixelSampler: weights checked against hand computations and slow
loops on tiny label maps, and the loss it feeds through a real FCNHead."""
import math

import pytest
import torch
import torch.multiprocessing as mp
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.decode_heads import FCNHead
from mmseg.registry import TASK_UTILS
from mmseg.structures import SegDataSample

from sar_mm.models.samplers import LongTailPixelSampler
from sar_mm.models.losses import class_weights
from sar_mm.utils import ClassStats, UserInputError

# 2 images of 2x3 pixels, 3 classes; 255 is ignore (or reduce_zero_label's
# former 0)
LABELS = torch.tensor([[[0, 0, 1], [2, 255, 0]], [[1, 255, 255],
                                                  [0, 0, 2]]]).unsqueeze(1)


def make_head(num_classes=3, with_sampler=True, **sampler):
    return FCNHead(
        in_channels=4,
        channels=4,
        num_convs=1,
        num_classes=num_classes,
        sampler=dict(type='LongTailPixelSampler', **sampler)
        if with_sampler else None,
        loss_decode=dict(type='CrossEntropyLoss', avg_non_ignore=True))


def write_stats(path, counts, classes=('a', 'b', 'c')):
    ClassStats.from_counts(
        classes=classes,
        pixel_counts=counts,
        image_counts=[1] * len(counts),
        num_images=1).dump(str(path))
    return str(path)


def expected_from_class_weights(labels, weights):
    """Per-pixel class weight, 0 on ignore, scaled to mean 1 over valid."""
    flat = labels.flatten().tolist()
    raw = [weights[y] if y != 255 else 0.0 for y in flat]
    valid = sum(y != 255 for y in flat)
    scale = valid / sum(raw) if sum(raw) else 0.0
    return torch.tensor([r * scale for r in raw]).view(labels.squeeze(1).shape)


def test_registered_and_built_by_the_head():
    head = make_head()
    assert isinstance(head.sampler, LongTailPixelSampler)
    assert 'LongTailPixelSampler' in TASK_UTILS
    assert head.sampler.context is head


def test_weights_from_stats_file_by_hand(tmp_path):
    stats = write_stats(tmp_path / 's.json', [600, 300, 100])
    sampler = make_head(stats_file=stats, weighting='inverse').sampler
    # inverse frequency, average pixel weight 1: 1 / (3 f_c)
    by_hand = [1 / (3 * 0.6), 1 / (3 * 0.3), 1 / (3 * 0.1)]
    weight = sampler.sample(torch.randn(2, 3, 2, 3), LABELS)
    assert weight.dtype == torch.float32
    assert weight.shape == (2, 2, 3)
    torch.testing.assert_close(weight,
                               expected_from_class_weights(LABELS, by_hand))
    valid = LABELS.squeeze(1) != 255
    assert float(weight[valid].mean()) == pytest.approx(1)
    assert (weight[~valid] == 0).all()


def test_running_estimate_accumulates_batches():
    sampler = make_head(weighting='inverse', max_weight=100).sampler
    seen = [0, 0, 0]
    batches = [LABELS, torch.tensor([[[[2, 2], [2, 1]]]])]
    for labels in batches:
        for y in labels.flatten().tolist():
            if y != 255:
                seen[y] += 1
        total = sum(seen)
        mean = sum(1 for n in seen if n)  # sum_c f_c / f_c over seen
        by_hand = [total / n / mean if n else 100 for n in seen]
        weight = sampler.sample(torch.randn(1, 3, *labels.shape[2:]), labels)
        assert sampler.running_counts.tolist() == seen
        torch.testing.assert_close(
            weight, expected_from_class_weights(labels, by_hand))


def test_all_ignored_batch_gives_zeros_and_zero_loss():
    head = make_head(hard_fraction=0.5)
    labels = torch.full((2, 1, 4, 4), 255)
    logits = torch.randn(2, 3, 4, 4, requires_grad=True)
    weight = head.sampler.sample(logits, labels)
    assert (weight == 0).all()
    losses = head.loss_by_feat(logits, data_samples(labels))
    assert losses['loss_ce'].item() == 0
    losses['loss_ce'].backward()
    assert torch.isfinite(logits.grad).all()


def slow_hardest(logits, labels, fraction, num_classes):
    """Keep mask: per class, the ceil(fraction * n) lowest true-class
    probabilities, one pixel at a time."""
    prob = logits.softmax(1)
    keep = torch.zeros(labels.squeeze(1).shape, dtype=torch.bool)
    for c in range(num_classes):
        pixels = [(float(prob[n, c, i, j]), (n, i, j))
                  for n, i, j in zip(*torch.where(labels.squeeze(1) == c))]
        pixels.sort()
        for _, (n, i, j) in pixels[:math.ceil(fraction * len(pixels))]:
            keep[n, i, j] = True
    return keep


@pytest.mark.parametrize('fraction', [0.25, 0.5, 1.0])
def test_hard_mining_keeps_hardest_of_each_class(tmp_path, fraction):
    torch.manual_seed(0)
    labels = torch.randint(0, 4, (2, 1, 6, 5))
    labels[0, 0, :2] = 255
    labels[1, 0, 3:, 2:] = 3  # class 3 gets many pixels, class 0 few
    logits = torch.randn(2, 4, 6, 5)
    stats = write_stats(tmp_path / 's.json', [1, 1, 1, 1], 'abcd')
    sampler = make_head(
        num_classes=4, stats_file=stats, hard_fraction=fraction).sampler
    weight = sampler.sample(logits, labels)
    keep = slow_hardest(logits, labels, fraction, 4)
    # equal class weights: kept pixels share the valid-pixel total
    valid = int((labels != 255).sum())
    expected = keep.float() * valid / keep.sum()
    torch.testing.assert_close(weight, expected)
    assert float(weight.sum()) == pytest.approx(valid)


def test_hard_mining_is_amp_safe():
    torch.manual_seed(1)
    labels = torch.randint(0, 3, (2, 1, 8, 8))
    logits = torch.randn(2, 3, 8, 8)
    sampler = make_head(hard_fraction=0.5).sampler
    full = sampler.sample(logits, labels)
    half = make_head(hard_fraction=0.5).sampler.sample(logits.half(), labels)
    assert half.dtype == torch.float32
    assert torch.isfinite(half).all()
    assert float(half.sum()) == pytest.approx(float(full.sum()))


def data_samples(labels):
    return [
        SegDataSample(gt_sem_seg=PixelData(data=label)) for label in labels
    ]


@pytest.mark.parametrize('avg_non_ignore', [True, False])
def test_loss_through_fcn_head_keeps_its_scale(tmp_path, avg_non_ignore):
    stats = write_stats(tmp_path / 's.json', [600, 300, 100])
    head = make_head(stats_file=stats)
    head.loss_decode.avg_non_ignore = avg_non_ignore
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 2, 3)
    losses = head.loss_by_feat(logits, data_samples(LABELS))
    weight = head.sampler.sample(logits, LABELS)
    labels = LABELS.squeeze(1)
    ce = F.cross_entropy(logits, labels, ignore_index=255, reduction='none')
    valid = int((labels != 255).sum())
    # mmseg divides by valid pixels (avg_non_ignore) or by all pixels; the
    # sampler's weights sum to the valid count, so the first is the
    # weighted mean over valid pixels
    divisor = valid if avg_non_ignore else labels.numel()
    assert float(weight.sum()) == pytest.approx(valid)
    assert losses['loss_ce'].item() == pytest.approx(
        float((weight * ce).sum()) / divisor, rel=1e-5)


def test_equal_class_weights_leave_the_loss_unchanged(tmp_path):
    stats = write_stats(tmp_path / 's.json', [5, 5, 5])
    logits = torch.randn(2, 3, 2, 3)
    with_sampler = make_head(stats_file=stats).loss_by_feat(
        logits, data_samples(LABELS))
    plain = make_head(with_sampler=False).loss_by_feat(logits,
                                                       data_samples(LABELS))
    assert with_sampler['loss_ce'].item() == pytest.approx(
        plain['loss_ce'].item(), rel=1e-6)


def test_loss_under_cpu_autocast(tmp_path):
    """bf16 autocast, as ``tools/train.py --amp`` does on CPU: the weights
    stay float32 and the loss finite."""
    head = make_head(hard_fraction=0.5)
    feats = [torch.randn(2, 4, 2, 3)]
    with torch.autocast('cpu', dtype=torch.bfloat16):
        logits = head.forward(feats)
        assert logits.dtype == torch.bfloat16
        weight = head.sampler.sample(logits, LABELS)
        losses = head.loss_by_feat(logits, data_samples(LABELS))
    assert weight.dtype == torch.float32
    assert float(weight.sum()) == pytest.approx(int((LABELS != 255).sum()))
    assert torch.isfinite(losses['loss_ce'])


def test_stats_for_another_number_of_classes(tmp_path):
    stats = write_stats(tmp_path / 's.json', [600, 300, 100])
    with pytest.raises(
            UserInputError,
            match=r'are for 3 classes, but the decode head '
            r'\(FCNHead\) has 19'):
        make_head(num_classes=19, stats_file=stats)


def test_zero_pixel_class_in_stats_gets_capped_weight(tmp_path):
    stats = write_stats(tmp_path / 's.json', [600, 400, 0])
    with pytest.warns(UserWarning, match="'c' have no pixels"):
        sampler = make_head(stats_file=stats, max_weight=4).sampler
    assert sampler.class_weight[2] == 4
    weight = sampler.sample(torch.randn(2, 3, 2, 3), LABELS)
    assert torch.isfinite(weight).all()


@pytest.mark.parametrize('kwargs,match', [
    (dict(hard_fraction=0), r'hard_fraction must be in \(0, 1\]'),
    (dict(hard_fraction=1.5), r'hard_fraction must be in \(0, 1\]'),
    (dict(weighting='focal'), "unknown class weighting 'focal'"),
    (dict(max_weight=0.1), 'max_weight must be'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(UserInputError, match=match):
        make_head(**kwargs)


def test_hard_mining_needs_one_logit_per_class():
    with pytest.raises(UserInputError, match='binary mode'):
        FCNHead(
            in_channels=4,
            channels=4,
            num_classes=2,
            out_channels=1,
            threshold=0.5,
            sampler=dict(type='LongTailPixelSampler', hard_fraction=0.5),
            loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=True))


def _ddp_worker(rank, world_size, init_file, results):
    torch.distributed.init_process_group(
        'gloo',
        init_method=f'file://{init_file}',
        rank=rank,
        world_size=world_size)
    sampler = make_head(weighting='inverse').sampler
    # each rank sees different labels
    labels = torch.full((1, 1, 2, 2), rank)
    labels[0, 0, 0, 0] = 2
    weight = sampler.sample(torch.randn(1, 3, 2, 2), labels)
    results[rank] = (sampler.running_counts.tolist(),
                     sampler.current_class_weight(
                         torch.full((1, 1, 1, 1),
                                    255)).tolist(), weight.tolist())
    torch.distributed.destroy_process_group()


def test_running_estimate_is_synchronised_across_ranks(tmp_path):
    results = mp.Manager().dict()
    # fork: the workers inherit the imported, compat-patched mmseg
    mp.start_processes(
        _ddp_worker,
        args=(2, str(tmp_path / 'init'), results),
        nprocs=2,
        join=True,
        start_method='fork')
    # rank 0: three 0s and one 2; rank 1: three 1s and one 2
    assert results[0][0] == results[1][0] == [3, 3, 2]
    assert results[0][1] == results[1][1]
    expected = class_weights(torch.tensor([3, 3, 2]), 'inverse').tolist()
    assert results[0][1] == pytest.approx(expected)
    # the same class gets the same weight on both ranks
    assert results[0][2][0][0][0] == pytest.approx(results[1][2][0][0][0])
