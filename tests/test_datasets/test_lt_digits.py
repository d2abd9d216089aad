import numpy as np
import pytest

from sar_mm.datasets import LTDigits
from sar_mm.datasets.digits import load_digit_split


def test_split_is_disjoint_balanced_and_real():
    split = load_digit_split()
    assert len(split.train_labels) + len(split.test_labels) == 1797
    assert np.bincount(split.test_labels).tolist() == [50] * 10
    assert split.train_images.dtype == np.uint8
    assert split.train_images.max() == 255


@pytest.mark.parametrize('ratio', [10, 50])
def test_train_split_is_long_tailed(ratio):
    ds = LTDigits(split='train', imbalance_ratio=ratio)
    counts = np.bincount(ds.get_gt_labels(), minlength=10)
    expected = [int(np.floor(120 * ratio**(-c / 9))) for c in range(10)]
    assert counts.tolist() == expected
    assert ds.metainfo['class_counts'] == expected
    sample = ds[0]
    assert sample['img'].shape == (32, 32, 3)
    assert sample['img'].dtype == np.uint8


def test_test_split_is_balanced_and_carries_train_counts():
    train = LTDigits(split='train', imbalance_ratio=10)
    test = LTDigits(split='test', imbalance_ratio=10, img_size=16)
    assert np.bincount(test.get_gt_labels()).tolist() == [50] * 10
    assert test.metainfo['class_counts'] == train.metainfo['class_counts']
    assert test[0]['img'].shape == (16, 16, 3)


def test_deterministic_across_instances():
    a, b = LTDigits(seed=0), LTDigits(seed=0)
    np.testing.assert_array_equal(a[5]['img'], b[5]['img'])
    c = LTDigits(seed=1)
    assert not all(
        np.array_equal(a[i]['img'], c[i]['img']) for i in range(10))


def test_bad_arguments():
    with pytest.raises(ValueError, match='imbalance_ratio must be >= 1'):
        LTDigits(imbalance_ratio=0.5)
    with pytest.raises(ValueError, match='0 samples'):
        LTDigits(imbalance_ratio=500)
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        LTDigits(split='val')
