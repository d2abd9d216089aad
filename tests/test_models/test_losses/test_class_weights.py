"""Class weights of the re-weighting losses, against the documented
formula computed one class at a time."""
import math

import pytest
import torch

from sar_mm.models.losses import (check_weighting, class_weights,
                                  stats_class_weights)
from sar_mm.utils import ClassStats, UserInputError


def slow_class_weights(counts, weighting, beta=0.9999, max_weight=10.0):
    """The documented formula, one class at a time."""
    total = sum(counts)
    raw = []
    for n in counts:
        if n == 0:
            raw.append(math.inf)
        elif weighting == 'inverse':
            raw.append(total / n)
        elif weighting == 'sqrt_inverse':
            raw.append(math.sqrt(total / n))
        else:
            raw.append((1 - beta) / (1 - beta**n))
    mean = sum(n / total * r for n, r in zip(counts, raw) if n)
    return [min(r / mean, max_weight) for r in raw]


def test_class_weights_by_hand():
    counts = torch.tensor([600, 300, 100, 0])
    # inverse frequency: f = .6, .3, .1 -> 1/f / 3 (each seen class adds 1)
    expected = [1 / 0.6 / 3, 1 / 0.3 / 3, 1 / 0.1 / 3, 10.0]
    assert class_weights(counts, 'inverse').tolist() == pytest.approx(
        expected, rel=1e-6)
    sqrt_norm = math.sqrt(.6) + math.sqrt(.3) + math.sqrt(.1)
    expected = [1 / math.sqrt(f) / sqrt_norm for f in (.6, .3, .1)] + [10.0]
    assert class_weights(counts, 'sqrt_inverse').tolist() == pytest.approx(
        expected, rel=1e-6)


@pytest.mark.parametrize('weighting',
                         ['inverse', 'sqrt_inverse', 'effective_number'])
@pytest.mark.parametrize('beta', [0.0, 0.99, 0.9999])
def test_class_weights_match_the_formula(weighting, beta):
    counts = [5000, 800, 120, 9, 0]
    got = class_weights(torch.tensor(counts), weighting, beta, max_weight=30)
    assert got.dtype == torch.float32
    assert got.tolist() == pytest.approx(
        slow_class_weights(counts, weighting, beta, 30), rel=1e-5)


def test_effective_number_limits():
    counts = torch.tensor([1000, 100, 10])
    # beta = 0: every class weighs the same
    assert class_weights(counts, 'effective_number', beta=0).tolist() == \
        pytest.approx([1, 1, 1])
    # beta -> 1: inverse frequency
    assert class_weights(
        counts, 'effective_number', beta=1 - 1e-9,
        max_weight=100).tolist() == pytest.approx(
            class_weights(counts, 'inverse', max_weight=100).tolist(),
            rel=1e-4)


def test_class_weights_average_one_per_pixel_and_cap():
    counts = torch.tensor([700, 200, 90, 10])
    weights = class_weights(counts, 'sqrt_inverse', max_weight=100)
    freq = counts / counts.sum()
    assert float((freq * weights).sum()) == pytest.approx(1)
    capped = class_weights(counts, 'inverse', max_weight=2)
    uncapped = class_weights(counts, 'inverse', max_weight=100)
    assert capped.tolist() == pytest.approx(uncapped.clamp(max=2).tolist())
    assert capped.max() == 2


def test_class_weights_without_any_pixel_are_finite():
    weights = class_weights(torch.zeros(3, dtype=torch.long), 'inverse')
    assert weights.tolist() == [10, 10, 10]


@pytest.mark.parametrize('args,match', [
    (('balanced', 0.9, 10), "unknown class weighting 'balanced'"),
    (('effective_number', 1.0, 10), r'beta .* \[0, 1\), got 1.0'),
    (('inverse', 0.9, 0.5), 'max_weight must be a finite number >= 1'),
    (('inverse', 0.9, math.inf), 'got inf'),
])
def test_check_weighting_errors(args, match):
    with pytest.raises(UserInputError, match=match):
        check_weighting(*args)


def test_zero_pixel_class_warns_by_name_and_gets_the_cap():
    stats = ClassStats.from_counts(
        classes=('road', 'car', 'bike'),
        pixel_counts=[900, 100, 0],
        image_counts=[4, 3, 0],
        num_images=4)
    with pytest.warns(UserWarning, match="'bike' have no pixels"):
        weights = stats_class_weights(stats, 'inverse', max_weight=7)
    assert torch.isfinite(weights).all()
    assert weights[2] == 7
