import numpy as np
import pytest

from sar_mm.datasets.transforms import RandomCutMixBox


def boxes(transform, n, shape=(60, 60)):
    return [
        transform(dict(img=np.zeros(shape + (3, ), np.uint8)))['cutmix_box']
        for _ in range(n)
    ]


def test_boxes_follow_the_references_distribution():
    np.random.seed(0)
    drawn = boxes(RandomCutMixBox(prob=1.0), 2000)
    areas, ratios = [], []
    for x1, y1, x2, y2 in drawn:
        w, h = x2 - x1, y2 - y1
        assert 0 <= x1 < x2 <= 60 and 0 <= y1 < y2 <= 60
        areas.append(w * h / 3600)
        ratios.append(h / w)
    # int() of sqrt(area / r) and sqrt(area * r) shrink the area a little
    assert 0.015 < min(areas) and max(areas) <= 0.4
    assert 0.2 < min(ratios) and max(ratios) < 4.2
    assert np.mean(areas) == pytest.approx(0.2, abs=0.02)


def test_probability_and_empty_box():
    np.random.seed(1)
    drawn = boxes(RandomCutMixBox(prob=0.5), 1000)
    empty = sum(box == (0, 0, 0, 0) for box in drawn)
    assert 430 < empty < 570
    assert boxes(RandomCutMixBox(prob=0.0), 5) == [(0, 0, 0, 0)] * 5


def test_view_too_elongated_for_any_box_gets_none():
    np.random.seed(2)
    # a box of >= 2 % of a 1000 x 1 view needs an aspect ratio > 5
    assert boxes(RandomCutMixBox(prob=1.0, max_tries=50), 3,
                 (1000, 1)) == [(0, 0, 0, 0)] * 3


@pytest.mark.parametrize('kwargs', [
    dict(prob=1.5), dict(area_range=(0.5, 0.1)), dict(ratio_range=(0, 1))])
def test_refuses_bad_settings(kwargs):
    with pytest.raises(ValueError):
        RandomCutMixBox(**kwargs)
