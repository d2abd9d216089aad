"""The class-statistics file, the group split rules and the class weights,
checked against values computed by hand."""
import json
import math

import pytest
import torch

from sar_mm.utils import (ClassStats, UserInputError, class_weights,
                          count_class_pixels, load_class_groups, split_groups)
from sar_mm.utils.class_stats import check_weighting


def test_count_class_pixels_skips_ignore_and_out_of_range():
    labels = torch.tensor([[0, 1, 1, 255], [2, 7, 1, 0], [-1, 255, 2, 2]])
    assert count_class_pixels(labels, 3).tolist() == [2, 3, 3]
    # an ignore_index inside the class range is not counted either
    assert count_class_pixels(labels, 3, ignore_index=1).tolist() == [2, 0, 3]


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


def test_zero_pixel_class_warns_by_name_and_gets_the_cap():
    stats = make_stats(pixel_counts=[900, 100, 0])
    with pytest.warns(UserWarning, match="'bike' have no pixels"):
        weights = stats.class_weights('inverse', max_weight=7)
    assert torch.isfinite(weights).all()
    assert weights[2] == 7
