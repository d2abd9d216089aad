"""ClassBalancedCrossEntropyLoss against a pixel-by-pixel computation, with
ignore / reduce_zero_label pixels, sampler weights and bad input."""
import math

import pytest
import torch
from mmengine.structures import PixelData
from mmseg.models.decode_heads import FCNHead
from mmseg.models.losses import CrossEntropyLoss
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from sar_mm.models.losses import ClassBalancedCrossEntropyLoss
from sar_mm.utils import ClassStats, UserInputError

# 255: ignore, e.g. the former label 0 of a reduce_zero_label dataset, or
# the padding of seg_pad_val
LABELS = torch.tensor([[[0, 1, 255], [2, 2, 0]], [[255, 255, 1], [0, 2, 2]]])


def slow_loss(logits, labels, class_weight, pixel_weight=None):
    """sum w[y] s ce / sum w[y] s over non-ignored pixels, one at a time."""
    num, den = 0.0, 0.0
    n, _, h, w = logits.shape
    for b in range(n):
        for i in range(h):
            for j in range(w):
                y = int(labels[b, i, j])
                if y == 255:
                    continue
                scores = logits[b, :, i, j].tolist()
                ce = math.log(sum(math.exp(s) for s in scores)) - scores[y]
                s = 1.0 if pixel_weight is None else float(pixel_weight[b, i,
                                                                        j])
                num += class_weight[y] * s * ce
                den += class_weight[y] * s
    return num / den if den else 0.0


def test_weighted_mean_over_valid_pixels_by_hand():
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 2, 3)
    loss = ClassBalancedCrossEntropyLoss(class_weight=[0.5, 2.0, 1.0])
    assert loss(logits, LABELS).item() == pytest.approx(
        slow_loss(logits, LABELS, [0.5, 2.0, 1.0]), rel=1e-5)


def test_sampler_weights_multiply_the_class_weights():
    torch.manual_seed(1)
    logits = torch.randn(2, 3, 2, 3)
    pixel_weight = torch.rand(2, 2, 3)
    loss = ClassBalancedCrossEntropyLoss(class_weight=[0.5, 2.0, 1.0])
    assert loss(
        logits, LABELS, weight=pixel_weight).item() == pytest.approx(
            slow_loss(logits, LABELS, [0.5, 2.0, 1.0], pixel_weight), rel=1e-5)


def test_matches_mmseg_where_mmseg_is_right():
    # without ignore pixels mmseg's class_weight + avg_non_ignore is correct
    torch.manual_seed(2)
    logits = torch.randn(2, 3, 2, 3)
    labels = LABELS.clone()
    labels[labels == 255] = 1
    ours = ClassBalancedCrossEntropyLoss(class_weight=[0.5, 2.0, 1.0])
    upstream = CrossEntropyLoss(
        class_weight=[0.5, 2.0, 1.0], avg_non_ignore=True)
    assert ours(logits, labels).item() == pytest.approx(
        upstream(logits, labels, ignore_index=255).item(), rel=1e-5)


def test_all_ignored_gives_zero_without_nan():
    logits = torch.randn(2, 3, 2, 3, requires_grad=True)
    loss = ClassBalancedCrossEntropyLoss(class_weight=[1, 2, 3])
    value = loss(logits, torch.full((2, 2, 3), 255))
    assert value.item() == 0
    value.backward()
    assert torch.isfinite(logits.grad).all()
    assert (logits.grad == 0).all()


def test_reductions_and_avg_factor():
    torch.manual_seed(3)
    logits = torch.randn(2, 3, 2, 3)
    loss = ClassBalancedCrossEntropyLoss(
        class_weight=[0.5, 2.0, 1.0], loss_weight=2.0)
    per_pixel = loss(logits, LABELS, reduction_override='none')
    assert per_pixel.shape == (2, 2, 3)
    assert (per_pixel[LABELS == 255] == 0).all()
    total = loss(logits, LABELS, reduction_override='sum')
    assert total.item() == pytest.approx(per_pixel.sum().item())
    assert loss(
        logits, LABELS, avg_factor=4).item() == pytest.approx(total.item() / 4)
    assert loss(logits, LABELS).item() == pytest.approx(
        2 * slow_loss(logits, LABELS, [0.5, 2.0, 1.0]), rel=1e-5)


def test_fp16_logits_give_a_fp32_loss():
    torch.manual_seed(4)
    logits = torch.randn(2, 3, 2, 3)
    loss = ClassBalancedCrossEntropyLoss(class_weight=[0.5, 2.0, 1.0])
    half = loss(logits.half(), LABELS)
    assert half.dtype == torch.float32
    assert half.item() == pytest.approx(
        loss(logits.half().float(), LABELS).item())


def write_stats(path, counts):
    ClassStats.from_counts(
        classes=[f'c{i}' for i in range(len(counts))],
        pixel_counts=counts,
        image_counts=[1] * len(counts),
        num_images=1).dump(str(path))
    return str(path)


def test_weights_from_stats_file(tmp_path):
    stats = write_stats(tmp_path / 's.json', [600, 300, 100])
    loss = MODELS.build(
        dict(
            type='ClassBalancedCrossEntropyLoss',
            stats_file=stats,
            weighting='inverse'))
    # inverse frequency, average pixel weight 1: 1 / (3 f_c)
    by_hand = [1 / (3 * 0.6), 1 / (3 * 0.3), 1 / (3 * 0.1)]
    assert loss.class_weight.tolist() == pytest.approx(by_hand, rel=1e-6)
    torch.manual_seed(5)
    logits = torch.randn(2, 3, 2, 3)
    assert loss(logits, LABELS).item() == pytest.approx(
        slow_loss(logits, LABELS, by_hand), rel=1e-5)
    assert 'class_weight' not in loss.state_dict()


def test_stats_for_another_number_of_classes(tmp_path):
    loss = ClassBalancedCrossEntropyLoss(
        stats_file=write_stats(tmp_path / 's.json', [600, 300, 100, 5]))
    with pytest.raises(
            UserInputError,
            match=r'are for 4 classes, but the prediction \(cls_score\) '
            r'has 3\.'):
        loss(torch.randn(2, 3, 2, 3), LABELS)


def test_class_weight_of_the_wrong_length():
    loss = ClassBalancedCrossEntropyLoss(class_weight=[1, 2])
    with pytest.raises(
            UserInputError,
            match='class_weight has 2 entries, but the '
            r'prediction \(cls_score\) has 3 classes'):
        loss(torch.randn(2, 3, 2, 3), LABELS)


def test_zero_pixel_class_warns_and_stays_finite(tmp_path):
    stats = write_stats(tmp_path / 's.json', [600, 0, 100])
    with pytest.warns(UserWarning, match="'c1' have no pixels"):
        loss = ClassBalancedCrossEntropyLoss(stats_file=stats, max_weight=5)
    assert loss.class_weight[1] == 5
    assert torch.isfinite(loss(torch.randn(2, 3, 2, 3), LABELS))


@pytest.mark.parametrize('kwargs,match', [
    (dict(), 'exactly one of stats_file'),
    (dict(stats_file='a.json', class_weight=[1]), 'exactly one of'),
    (dict(class_weight=[1, -2]), 'non-negative'),
    (dict(class_weight=[1, 2], reduction='avg'), "reduction must be"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(UserInputError, match=match):
        ClassBalancedCrossEntropyLoss(**kwargs)


def test_in_a_decode_head_with_the_sampler(tmp_path):
    stats = write_stats(tmp_path / 's.json', [600, 300, 100])
    head = FCNHead(
        in_channels=4,
        channels=4,
        num_convs=1,
        num_classes=3,
        sampler=dict(type='LongTailPixelSampler', stats_file=stats),
        loss_decode=dict(
            type='ClassBalancedCrossEntropyLoss', class_weight=[1.0, 1.0,
                                                                3.0]))
    torch.manual_seed(6)
    logits = torch.randn(2, 3, 2, 3)
    samples = [
        SegDataSample(gt_sem_seg=PixelData(data=label[None]))
        for label in LABELS
    ]
    losses = head.loss_by_feat(logits, samples)
    pixel_weight = head.sampler.sample(logits, LABELS[:, None])
    assert set(losses) == {'loss_cb_ce', 'acc_seg'}
    assert losses['loss_cb_ce'].item() == pytest.approx(
        slow_loss(logits, LABELS, [1.0, 1.0, 3.0], pixel_weight), rel=1e-5)


def test_bad_weighting_of_a_stats_file(tmp_path):
    stats = write_stats(tmp_path / 's.json', [600, 300, 100])
    with pytest.raises(UserInputError, match="unknown class weighting 'x'"):
        ClassBalancedCrossEntropyLoss(stats_file=stats, weighting='x')
    with pytest.raises(UserInputError, match=r'beta .* got 1'):
        ClassBalancedCrossEntropyLoss(
            stats_file=stats, weighting='effective_number', beta=1)
