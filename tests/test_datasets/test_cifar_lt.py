import numpy as np
import pytest

from sar_mm.datasets import (CIFAR10LT, CIFAR100LT, long_tailed_counts,
                             subsample_long_tailed)
from sar_mm.utils import UserInputError
from tests.lt_fakes import write_fake_cifar


@pytest.fixture(scope='module')
def cifar10_root(tmp_path_factory):
    # the real sizes (5,000 training / 1,000 test images per class)
    return write_fake_cifar(
        tmp_path_factory.mktemp('cifar10'), 10, 5000, test_per_class=1000)


@pytest.fixture(scope='module')
def cifar100_root(tmp_path_factory):
    return write_fake_cifar(
        tmp_path_factory.mktemp('cifar100'), 100, 500, test_per_class=100)


@pytest.mark.parametrize('ratio,total', [(100, 12406), (50, 13996),
                                         (10, 20431)])
def test_cifar10_lt_has_the_published_sizes(cifar10_root, ratio, total):
    dataset = CIFAR10LT(cifar10_root, imbalance_ratio=ratio)
    labels = dataset.get_gt_labels()
    counts = np.bincount(labels, minlength=10).tolist()
    assert len(dataset) == total
    assert counts == dataset.metainfo['class_counts']
    assert counts[0] == 5000 and counts[-1] == 5000 // ratio
    assert all(a >= b for a, b in zip(counts, counts[1:]))


@pytest.mark.parametrize('ratio,total', [(100, 10847), (50, 12608),
                                         (10, 19573)])
def test_cifar100_lt_has_the_published_sizes(cifar100_root, ratio, total):
    dataset = CIFAR100LT(cifar100_root, imbalance_ratio=ratio)
    counts = np.bincount(dataset.get_gt_labels(), minlength=100)
    assert len(dataset) == total
    assert counts.tolist() == dataset.metainfo['class_counts']
    assert counts[0] == 500 and counts[-1] == 500 // ratio


def test_subset_is_the_ldam_drw_one(cifar10_root):
    """The kept images are the first n_c of each class after the LDAM-DRW
    shuffle: recompute the indices from the raw labels and compare pixels
    of the first and the last kept image."""
    full = CIFAR10LT(
        cifar10_root, imbalance_ratio=1, n_max=5000, serialize_data=False)
    dataset = CIFAR10LT(cifar10_root, imbalance_ratio=100)
    keep = subsample_long_tailed(full.get_gt_labels(), 10, 100, 5000, seed=0)
    assert (dataset.get_gt_labels() == full.get_gt_labels()[keep]).all()
    for i in (0, len(dataset) - 1):
        assert (dataset.get_data_info(i)['img'] ==
                full.get_data_info(int(keep[i]))['img']).all()


def test_test_split_is_balanced_and_carries_training_counts(cifar100_root):
    dataset = CIFAR100LT(cifar100_root, split='test', imbalance_ratio=50)
    assert len(dataset) == 10000
    assert (np.bincount(dataset.get_gt_labels()) == 100).all()
    assert dataset.metainfo['class_counts'] == long_tailed_counts(500, 100, 50)
    sample = dataset[0]
    assert sample['img'].shape == (32, 32, 3)


def test_missing_files_give_one_error_with_the_layout(tmp_path):
    with pytest.raises(
            UserInputError,
            match=r'cifar-10-batches-py/data_batch_1 not found.*'
            r'cifar-10-batches-py/\{data_batch_1, \.\.\., data_batch_5, '
            r'test_batch, batches\.meta\}.*Preparing datasets'):
        CIFAR10LT(str(tmp_path))
    with pytest.raises(
            UserInputError,
            match=r'cifar-100-python/test not found.*'
            r'cifar-100-python/\{train, test, meta\}'):
        CIFAR100LT(str(tmp_path), split='test')


def test_corrupt_batch_is_named(tmp_path):
    root = write_fake_cifar(tmp_path, 10, 2, test_per_class=1)
    (tmp_path / 'cifar-10-batches-py' / 'data_batch_3').write_bytes(b'junk')
    with pytest.raises(UserInputError, match='data_batch_3 is not a CIFAR'):
        CIFAR10LT(root, n_max=2, imbalance_ratio=1)


def test_bad_ratio_and_empty_classes(cifar10_root):
    with pytest.raises(UserInputError, match='imbalance_ratio must be >= 1'):
        CIFAR10LT(cifar10_root, imbalance_ratio=0.5)
    with pytest.raises(UserInputError,
                       match=r'leaves classes \[.*9\] with 0 samples'):
        CIFAR10LT(cifar10_root, split='test', imbalance_ratio=10000)
    with pytest.raises(UserInputError, match='fewer samples than'):
        CIFAR10LT(cifar10_root, n_max=6000)
