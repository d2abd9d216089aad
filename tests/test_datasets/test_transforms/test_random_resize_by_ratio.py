import numpy as np
import pytest

from sar_mm.datasets.transforms import RandomResizeByRatio


def test_long_side_drawn_from_the_ratio_range_aspect_kept():
    np.random.seed(0)
    transform = RandomResizeByRatio(ratio_range=(0.5, 2.0))
    label = np.arange(40 * 30, dtype=np.int64).reshape(30, 40) % 7
    sides = set()
    for _ in range(300):
        results = transform(
            dict(img=np.zeros((30, 40, 3), np.uint8),
                 gt_seg_map=label.astype(np.uint8),
                 seg_fields=['gt_seg_map']))
        h, w = results['img'].shape[:2]
        sides.add(w)
        # UniMatch: long side drawn, short side int(30 * w / 40 + 0.5)
        assert h == int(30 * w / 40 + 0.5)
        assert results['gt_seg_map'].shape == (h, w)
        # nearest neighbour: no new label values
        assert set(np.unique(results['gt_seg_map'])) <= set(range(7))
    assert min(sides) == 20 and max(sides) == 80  # both ends inclusive
    assert len(sides) > 40


def test_refuses_bad_ranges():
    with pytest.raises(ValueError, match='ratio_range'):
        RandomResizeByRatio(ratio_range=(2.0, 0.5))
