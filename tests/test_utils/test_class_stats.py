"""The class-statistics file and the group split rules, checked against
values computed by hand."""
import json

import pytest
import torch

from sar_mm.utils import (ClassStats, UserInputError, count_class_pixels,
                          load_class_groups, split_groups)
from sar_mm.utils.class_stats import unlabelled_classes


def test_count_class_pixels_skips_ignore_and_out_of_range():
    labels = torch.tensor([[0, 1, 1, 255], [2, 7, 1, 0], [-1, 255, 2, 2]])
    assert count_class_pixels(labels, 3).tolist() == [2, 3, 3]
    # an ignore_index inside the class range is not counted either
    assert count_class_pixels(labels, 3, ignore_index=1).tolist() == [2, 0, 3]
    # without one, class 255 of a 300-class problem counts
    counts = count_class_pixels(labels, 300, ignore_index=None)
    assert counts[255] == 2 and counts[7] == 1 and counts.sum() == 11


COUNTS = [5, 100, 0, 30, 7, 60]  # sorted: 1, 5, 3, 4, 0, 2


def test_split_class_share_gives_thirds_of_the_classes():
    groups = split_groups(COUNTS)
    assert groups == dict(head=[1, 5], medium=[3, 4], tail=[0, 2])


def test_split_pixel_share_follows_cumulative_pixels():
    # shares before each class (sorted): 0, 100/202, 160/202, 190/202, ...
    groups = split_groups(COUNTS, rule='pixel_share')
    assert groups == dict(head=[1, 5], medium=[3], tail=[4, 0, 2])
    groups = split_groups(COUNTS, rule='pixel_share', bounds=(0.5, 0.95))
    assert groups == dict(head=[1, 5], medium=[3, 4], tail=[0, 2])


def test_split_ties_keep_class_order():
    assert split_groups([3, 3, 3]) == dict(head=[0], medium=[1], tail=[2])


@pytest.mark.parametrize('rule,bounds,match', [
    ('median', None, "unknown group split rule 'median'"),
    ('class_share', (0.7, 0.3), 'head <= medium'),
    ('pixel_share', (0, 0.5), '0 < head'),
    ('pixel_share', (0.5, 0.9, 1.0), 'two cumulative shares'),
])
def test_split_rejects_bad_rules_and_bounds(rule, bounds, match):
    with pytest.raises(UserInputError, match=match):
        split_groups(COUNTS, rule, bounds)


def make_stats(**kwargs):
    args = dict(
        classes=('road', 'car', 'bike'),
        pixel_counts=[900, 90, 10],
        image_counts=[4, 3, 1],
        num_images=4,
        out_of_range={200: 3})
    args.update(kwargs)
    return ClassStats.from_counts(**args)


def test_stats_file_round_trip(tmp_path):
    path = str(tmp_path / 'stats.json')
    make_stats(source=dict(split='train')).dump(path)
    data = json.load(open(path))
    assert data['format'] == 'sar_mm.class_stats'
    assert data['format_version'] == 1
    assert data['num_classes'] == 3
    assert data['frequencies'] == pytest.approx([0.9, 0.09, 0.01])
    assert data['out_of_range'] == {'200': 3}
    assert data['split'] == dict(rule='class_share', bounds=[1 / 3, 2 / 3])
    assert data['groups'] == dict(head=[0], medium=[1], tail=[2])
    loaded = ClassStats.load(path)
    assert loaded.classes == ('road', 'car', 'bike')
    assert loaded.pixel_counts == [900, 90, 10]
    assert loaded.image_counts == [4, 3, 1]
    assert loaded.out_of_range == {200: 3}
    assert load_class_groups(path) == dict(head=[0], medium=[1], tail=[2])


def test_groups_edited_by_hand_are_kept(tmp_path):
    path = tmp_path / 'stats.json'
    make_stats().dump(str(path))
    data = json.loads(path.read_text())
    data['groups'] = dict(head=[0, 1], medium=[], tail=[2])
    path.write_text(json.dumps(data))
    assert load_class_groups(str(path)) == dict(
        head=[0, 1], medium=[], tail=[2])


@pytest.mark.parametrize('edit,match', [
    (lambda d: d.pop('format'), 'is not a class statistics file'),
    (lambda d: d.update(format_version=2), 'format_version 2'),
    (lambda d: d.pop('pixel_counts'), "missing or malformed 'pixel_counts'"),
    (lambda d: d.update(image_counts=[1, 2]), 'image_counts has 2 entries'),
    (lambda d: d.update(groups=dict(head=[0], medium=[0], tail=[2])),
     'every class index 0..2 exactly once'),
])
def test_load_rejects_broken_files(tmp_path, edit, match):
    path = tmp_path / 'stats.json'
    make_stats().dump(str(path))
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    with pytest.raises(UserInputError, match=match):
        ClassStats.load(str(path))


def test_load_missing_or_invalid_file(tmp_path):
    with pytest.raises(UserInputError, match='not found.*class_stats.py'):
        ClassStats.load(str(tmp_path / 'nope.json'))
    (tmp_path / 'bad.json').write_text('{')
    with pytest.raises(UserInputError, match='not valid JSON'):
        ClassStats.load(str(tmp_path / 'bad.json'))


def test_check_classes_names_both_numbers(tmp_path):
    path = str(tmp_path / 'stats.json')
    make_stats().dump(path)
    stats = ClassStats.load(path)
    stats.check_classes(3, 'the model')
    with pytest.raises(
            UserInputError, match=r'are for 3 classes, but the model has 19'):
        stats.check_classes(19, 'the model')
    with pytest.raises(
            UserInputError,
            match="name class 2 'bike', but the data calls it "
            "'bicycle'"):
        stats.check_classes(3, 'the data', ('road', 'car', 'bicycle'))


def test_unlabelled_classes_names_the_zero_counts():
    names = ('zero', 'one', 'two', 'three')
    assert unlabelled_classes([5, 0, 3, 0], names) == ['one', 'three']
    assert unlabelled_classes([5, 0, 3, 0]) == ['1', '3']
    assert unlabelled_classes([1, 2, 3, 4], names) == []
