"""SemiSplitDataset: UniMatch split files over real mmseg datasets (the
built-in scenes, ADE20K's layout), and every bad split in one line."""
import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from sar_mm.datasets import (LTDigitScenes, SemiSplitDataset,
                             check_disjoint_splits)
from sar_mm.utils import UserInputError

SMALL = dict(num_train=16, num_val=4)


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp('semi') / 'scenes'
    LTDigitScenes(data_root=str(root), **SMALL)
    return root


def scenes(root):
    return dict(type='LTDigitScenes', data_root=str(root), **SMALL)


def split(root, labelled=True, split_file=None, **kwargs):
    init_default_scope('mmseg')
    name = 'labeled.txt' if labelled else 'unlabeled.txt'
    return SemiSplitDataset(
        dataset=scenes(root),
        split_file=str(split_file or root / 'splits' / '1_8' / name),
        labelled=labelled,
        **kwargs)


def test_labelled_and_unlabelled_samples(root):
    labelled, unlabelled = split(root), split(root, labelled=False)
    assert len(labelled) == 2 and len(unlabelled) == 14
    info = labelled.get_data_info(0)
    assert info['img_path'].startswith(str(root / 'img_dir' / 'train'))
    assert info['seg_map_path'] == info['img_path'].replace(
        'img_dir', 'ann_dir')
    assert info['reduce_zero_label'] is False and info['seg_fields'] == []
    assert 'seg_map_path' not in unlabelled.get_data_info(0)
    full = LTDigitScenes(data_root=str(root), **SMALL)
    assert labelled.metainfo == unlabelled.metainfo == full.metainfo


def test_unlabelled_images_need_no_mask(root, tmp_path):
    # one column, or UniMatch's two with a mask that does not exist
    lines = ['img_dir/train/train_00003.png',
             'img_dir/train/train_00004.png ann_dir/none/missing.png']
    (tmp_path / 'u.txt').write_text('\n'.join(lines) + '\n\n')
    unlabelled = split(root, labelled=False, split_file=tmp_path / 'u.txt')
    assert [unlabelled.get_data_info(i)['img_path'] for i in range(2)] == [
        str(root / 'img_dir/train/train_00003.png'),
        str(root / 'img_dir/train/train_00004.png')]


def test_pipeline_defaults_to_the_datasets(root):
    pipeline = [dict(type='LoadImageFromFile')]
    dataset = dict(scenes(root), pipeline=pipeline)
    init_default_scope('mmseg')
    labelled = SemiSplitDataset(
        dataset=dataset, split_file=str(root / 'splits/1_8/labeled.txt'))
    result = labelled[0]
    assert result['img'].shape == (64, 64, 3) and 'gt_seg_map' not in result


def test_reduce_zero_label_comes_from_the_dataset(tmp_path):
    """ADE20K's layout and label convention (0 = other, reduced to 255)."""
    for sub in ('images/training', 'annotations/training'):
        (tmp_path / sub).mkdir(parents=True)
    cv2.imwrite(str(tmp_path / 'images/training/ADE_train_1.jpg'),
                np.zeros((8, 8, 3), np.uint8))
    (tmp_path / 'l.txt').write_text('images/training/ADE_train_1.jpg '
                                    'annotations/training/ADE_train_1.png\n')
    init_default_scope('mmseg')
    labelled = SemiSplitDataset(
        dataset=dict(type='ADE20KDataset', data_root=str(tmp_path)),
        split_file=str(tmp_path / 'l.txt'))
    assert labelled.get_data_info(0)['reduce_zero_label'] is True
    assert len(labelled.metainfo['classes']) == 150


@pytest.mark.parametrize('text,labelled,match', [
    (None, True, r'split file .*nowhere.txt \(labelled set\) not found'),
    ('img_dir/train/train_00001.png\n', True,
     "line 1 of labelled split file .* expected '<image> <mask>'"),
    ('a b c\n', False, "line 1 of unlabelled split file .* is 'a b c'"),
    ('\n\n', False, 'lists no samples; semi-supervised training needs both'),
    ('img_dir/train/train_00001.png\nimg_dir/train/gone.png\n', False,
     r'1 image\(s\) listed in unlabelled split file .* do not exist, e\.g\. '
     r'\[.*gone.png'),
])
def test_bad_split_files(root, tmp_path, text, labelled, match):
    path = tmp_path / 'nowhere.txt'
    if text is not None:
        path.write_text(text)
    with pytest.raises(UserInputError, match=match):
        split(root, labelled=labelled, split_file=path)


def test_an_image_in_both_lists_is_refused(root, tmp_path):
    labelled = split(root)
    line = (root / 'splits/1_8/labeled.txt').read_text().splitlines()[0]
    (tmp_path / 'u.txt').write_text(
        (root / 'splits/1_8/unlabeled.txt').read_text() + line + '\n')
    unlabelled = split(root, labelled=False, split_file=tmp_path / 'u.txt')
    listed = [(ds, ds.load_data_list()) for ds in (labelled, unlabelled)]
    with pytest.raises(UserInputError, match=r'1 image\(s\) are in both the '
                       'labelled split .* and the unlabelled split'):
        check_disjoint_splits(listed)
    check_disjoint_splits(listed[:1] + [(split(root, labelled=False), [])])


def test_refuses_a_non_segmentation_dataset(root):
    init_default_scope('mmseg')
    with pytest.raises(UserInputError, match='must be the config of an mmseg'):
        SemiSplitDataset(dataset='LTDigitScenes', split_file='x')
