import pytest

from sar_mm.datasets import ImageNetLT, LTImageList
from sar_mm.utils import UserInputError
from tests.lt_fakes import write_fake_imagenet_lt


def test_imagenet_lt_reads_the_split_files(tmp_path):
    counts = [3, 2, 1] * 333 + [5]
    root = write_fake_imagenet_lt(tmp_path, train_counts=counts)
    train = ImageNetLT(root, pipeline=[dict(type='LoadImageFromFile')])
    assert len(train) == sum(counts)
    assert train.metainfo['class_counts'] == counts
    assert len(train.metainfo['classes']) == 1000
    sample = train[0]
    assert sample['gt_label'] == 0 and sample['img'].shape == (40, 48, 3)
    assert sample['img_path'].startswith(str(tmp_path / 'train'))
    # val/test splits carry the counts of the training split file
    test = ImageNetLT(root, split='test')
    assert len(test) == 1000
    assert test.metainfo['class_counts'] == counts


def test_generic_list_for_places_or_inaturalist(tmp_path):
    (tmp_path / 'Places_LT_train.txt').write_text('a.jpg 0\nb.jpg 1\n\n'
                                                  'c d.jpg 1\n')
    (tmp_path / 'Places_LT_test.txt').write_text('e.jpg 1\n')
    dataset = LTImageList(
        str(tmp_path), split='test', split_file='Places_LT_{split}.txt',
        num_classes=2)
    assert dataset.metainfo['classes'] == ('0', '1')
    assert dataset.metainfo['class_counts'] == [1, 2]
    train = LTImageList(
        str(tmp_path), split_file='Places_LT_{split}.txt', num_classes=2)
    # a path with a space is kept whole
    assert train.get_data_info(2)['img_path'].endswith('c d.jpg')


def test_missing_split_file_names_the_layout(tmp_path):
    with pytest.raises(
            UserInputError,
            match=r'split file .*ImageNet_LT_train\.txt not found\. '
            r'Expected .*\{ImageNet_LT_train\.txt, ImageNet_LT_val\.txt, '
            r'ImageNet_LT_test\.txt\}.*Preparing datasets'):
        ImageNetLT(str(tmp_path))


def test_bad_lines_name_file_and_line(tmp_path):
    root = write_fake_imagenet_lt(tmp_path)
    train_file = tmp_path / 'ImageNet_LT_train.txt'
    lines = train_file.read_text().splitlines()
    train_file.write_text('\n'.join(lines[:2] + ['x.jpg 1000'] + lines[2:]))
    with pytest.raises(
            UserInputError,
            match=r'ImageNet_LT_train\.txt, line 3: label 1000 is outside '
            r'the 1000 classes \[0, 999\]'):
        ImageNetLT(root)
    # a test split checks the training file too (it defines class_counts)
    with pytest.raises(UserInputError, match='line 3: label 1000'):
        ImageNetLT(root, split='test')
    train_file.write_text('\n'.join(lines[:4] + ['x.jpg -1'] + lines[4:]))
    with pytest.raises(UserInputError, match='line 5: label -1 is outside'):
        ImageNetLT(root)
    train_file.write_text('\n'.join(lines[:1] + ['no_label.jpg'] + lines[1:]))
    with pytest.raises(
            UserInputError,
            match=r"line 2: expected \"<image path> <label>\", got "
            r"'no_label.jpg'"):
        ImageNetLT(root)


def test_class_without_training_images(tmp_path):
    counts = [1] * 1000
    counts[7] = counts[998] = 0
    root = write_fake_imagenet_lt(tmp_path, train_counts=counts)
    with pytest.raises(
            UserInputError,
            match=r'ImageNet_LT_train\.txt leaves 2 class\(es\) without a '
            r'training image \(e\.g\. \[7, 998\]\)'):
        ImageNetLT(root, split='val')


def test_bad_arguments(tmp_path):
    with pytest.raises(UserInputError, match="split must be one of"):
        ImageNetLT(str(tmp_path), split='training')
    (tmp_path / 'train.txt').write_text('a.jpg 0\n')
    with pytest.raises(UserInputError, match='needs the classes'):
        LTImageList(str(tmp_path))
