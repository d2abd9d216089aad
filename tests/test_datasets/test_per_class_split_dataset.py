"""The labelled / unlabelled split of any mmpretrain dataset: exact counts,
disjoint, deterministic, and one-line errors."""
import itertools

import cv2
import numpy as np
import pytest
from mmengine.dataset import ConcatDataset
from mmpretrain.registry import DATASETS

from sar_mm.datasets import PerClassSplitConcatDataset, PerClassSplitDataset
from sar_mm.datasets.samplers import MultiSourceSampler
from sar_mm.utils import UserInputError



@pytest.fixture(scope='module')
def pool():
    """The built-in balanced pool: 124 training digits per class (built
    once; the splits only read it)."""
    return DATASETS.build(
        dict(type='LTDigits', imbalance_ratio=1, n_max=124, img_size=8))


def parts(dataset, **split):
    return [
        PerClassSplitDataset(dataset, part, **split)
        for part in ('labelled', 'unlabelled')
    ]


def source_indices(part):
    """Indices into the wrapped dataset, recovered through the images."""
    images = {
        part.dataset.get_data_info(i)['img'].tobytes(): i
        for i in range(len(part.dataset))
    }
    return [
        images[part.get_data_info(i)['img'].tobytes()]
        for i in range(len(part))
    ]


def test_balanced_few_labels_rest_unlabelled(pool):
    labelled, unlabelled = parts(pool, labelled_per_class=4)
    assert np.bincount(labelled.get_gt_labels()).tolist() == [4] * 10
    assert np.bincount(unlabelled.get_gt_labels()).tolist() == [120] * 10
    lab, unl = source_indices(labelled), source_indices(unlabelled)
    assert not set(lab) & set(unl)
    assert sorted(lab + unl) == list(range(1240))
    assert labelled.metainfo['class_counts'] == [4] * 10
    assert unlabelled.metainfo == labelled.metainfo


def test_long_tailed_labelled_and_unlabelled(pool):
    """DARP/ABC protocol: N_max = 20, gamma_l = 10; M_max = 100,
    gamma_u = 10; floor(n_max * 10 ** (-c / 9)), computed by hand."""
    labelled, unlabelled = parts(
        pool,
        labelled_per_class=20,
        labelled_imbalance_ratio=10,
        unlabelled_per_class=100,
        unlabelled_imbalance_ratio=10)
    assert np.bincount(labelled.get_gt_labels()).tolist() == [
        20, 15, 11, 9, 7, 5, 4, 3, 2, 2
    ]
    assert np.bincount(unlabelled.get_gt_labels()).tolist() == [
        100, 77, 59, 46, 35, 27, 21, 16, 12, 10
    ]
    assert not set(source_indices(labelled)) & set(
        source_indices(unlabelled))
    assert labelled.metainfo['class_counts'] == [
        20, 15, 11, 9, 7, 5, 4, 3, 2, 2
    ]


def test_deterministic_and_equal_to_a_per_class_shuffle(pool):
    split = dict(labelled_per_class=3, unlabelled_per_class=5, seed=7)
    labelled, unlabelled = parts(pool, **split)
    again, _ = parts(pool, **split)
    assert source_indices(labelled) == source_indices(again)
    # by hand: shuffle each class in turn with one RandomState(7)
    labels = labelled.dataset.get_gt_labels()
    rng = np.random.RandomState(7)
    expected_l, expected_u = [], []
    for c in range(10):
        order = rng.permutation([i for i in range(len(labels))
                                 if labels[i] == c])
        expected_l += list(order[:3])
        expected_u += list(order[3:8])
    assert labelled.split_indices() == sorted(expected_l)
    assert unlabelled.split_indices() == sorted(expected_u)
    other, _ = parts(pool, **dict(split, seed=8))
    assert other.split_indices() != labelled.split_indices()


def test_unlabelled_may_include_the_labelled_images(pool):
    labelled, unlabelled = parts(
        pool,
        labelled_per_class=4, unlabelled_includes_labelled=True)
    assert len(unlabelled) == 1240
    assert set(labelled.split_indices()) <= set(unlabelled.split_indices())


def test_any_mmpretrain_dataset_and_concat(tmp_path):
    """mmpretrain's CustomDataset (class folders of image files)."""
    rng = np.random.default_rng(0)
    for c, count in enumerate((6, 8, 5)):
        folder = tmp_path / f'class_{c}'
        folder.mkdir()
        for i in range(count):
            cv2.imwrite(str(folder / f'{i}.png'),
                        rng.integers(0, 256, (12, 12, 3), np.uint8))
    folders = dict(type='CustomDataset', data_root=str(tmp_path))
    labelled, unlabelled = parts(
        folders,
        labelled_per_class=2,
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='PackInputs')])
    assert np.bincount(labelled.get_gt_labels()).tolist() == [2, 2, 2]
    assert np.bincount(unlabelled.get_gt_labels()).tolist() == [4, 6, 3]
    both = ConcatDataset([labelled, unlabelled])
    assert len(both) == 19
    sample = both[0]
    assert sample['inputs'].shape == (3, 12, 12)
    assert sample['data_samples'].gt_label.item() == \
        labelled.get_gt_labels()[0]
    assert labelled.metainfo['classes'] == ('class_0', 'class_1', 'class_2')


@pytest.mark.parametrize('split,match', [
    (dict(labelled_per_class=125),
     r"class 0 \('0'\) of LTDigits has 124 images, fewer than the 125 "
     r'labelled the semi-supervised split asks for'),
    (dict(labelled_per_class=30, unlabelled_per_class=100),
     'fewer than the 30 labelled and 100 unlabelled'),
    (dict(labelled_per_class=0), 'labelled_per_class must be a positive'),
    (dict(labelled_per_class=4, unlabelled_imbalance_ratio=10),
     'needs unlabelled_per_class'),
    (dict(labelled_per_class=4, labelled_imbalance_ratio=0.5),
     'imbalance_ratio must be >= 1'),
    (dict(labelled_per_class=4, part='train'), 'part must be'),
])
def test_bad_splits_are_one_line(pool, split, match):
    split.setdefault('part', 'labelled')
    with pytest.raises(UserInputError, match=match) as info:
        PerClassSplitDataset(pool, **split)
    assert '\n' not in str(info.value)


def test_concat_of_both_parts_shares_one_wrapped_dataset(pool):
    both = PerClassSplitConcatDataset(
        pool,
        labelled_pipeline=[dict(type='PackInputs')],
        unlabelled_pipeline=[],
        labelled_per_class=3,
        unlabelled_per_class=6)
    labelled, unlabelled = both.datasets
    assert isinstance(both, ConcatDataset)
    assert labelled.dataset is unlabelled.dataset
    assert (labelled.part, unlabelled.part) == ('labelled', 'unlabelled')
    assert (len(labelled), len(unlabelled), len(both)) == (30, 60, 90)
    assert both.metainfo['class_counts'] == [3] * 10
    reference, _ = parts(pool, labelled_per_class=3, unlabelled_per_class=6)
    assert labelled.split_indices() == reference.split_indices()
    # each part runs its own pipeline
    assert 'inputs' in both[0] and 'inputs' not in both[30]
    sampler = MultiSourceSampler(both, batch_size=4, source_ratio=[1, 3])
    first = list(itertools.islice(iter(sampler), 4))
    assert first[0] < 30 <= min(first[1:])
