import pytest
import torch

from sar_mm.evaluation.metrics import LTAccuracy, shot_groups
from sar_mm.utils import UserInputError

COUNTS = [150, 101, 100, 50, 20, 19, 3]


def samples(pairs):
    return [
        dict(pred_label=torch.tensor([p]), gt_label=torch.tensor([g]))
        for p, g in pairs
    ]


def test_shot_groups_follow_the_thresholds():
    groups = shot_groups(COUNTS, many_thresh=100, few_thresh=20)
    assert groups['many'].tolist() == [0, 1]  # > 100
    assert groups['medium'].tolist() == [2, 3, 4]  # 20..100
    assert groups['few'].tolist() == [5, 6]  # < 20


def test_metric_by_hand():
    metric = LTAccuracy(class_counts=COUNTS)
    metric.dataset_meta = dict(classes=tuple('abcdefg'))
    # class: (test samples, correct) -> a: 2/2, b: 1/2, c: 0/1, d: 1/1,
    # e: 1/2, f: 0/1, g: 1/1; class 'c' predicted as 'a'
    pairs = [(0, 0), (0, 0), (1, 1), (3, 1), (0, 2), (3, 3), (4, 4), (0, 4),
             (6, 5), (6, 6)]
    metric.process(None, samples(pairs))
    result = metric.evaluate(len(pairs))
    assert result['accuracy/top1'] == pytest.approx(100 * 6 / 10)
    assert result['accuracy/many'] == pytest.approx(100 * (1 + 0.5) / 2)
    assert result['accuracy/medium'] == pytest.approx(100 * (0 + 1 + .5) / 3)
    assert result['accuracy/few'] == pytest.approx(100 * (0 + 1) / 2)
    assert result['accuracy/per_class/b'] == pytest.approx(50)
    assert result['accuracy/per_class/c'] == 0


def test_explicit_counts_and_absent_classes():
    metric = LTAccuracy(class_counts=COUNTS, many_thresh=1000)
    metric.dataset_meta = dict(classes=tuple('abcdefg'))
    metric.process(None, samples([(0, 3), (3, 3)]))
    result = metric.evaluate(2)
    # no many-shot class with threshold 1000, and only class d was tested
    assert 'accuracy/many' not in result
    assert result['accuracy/medium'] == pytest.approx(50)
    assert 'accuracy/few' not in result
    assert [k for k in result if 'per_class' in k] == ['accuracy/per_class/d']


def test_missing_counts_and_bad_labels():
    """The evaluated split's own counts are never used: they need not be
    the training set's (ClassCountsHook gives those)."""
    metric = LTAccuracy()
    metric.dataset_meta = dict(classes=('a', 'b'), class_counts=[9, 1])
    metric.process(None, samples([(0, 0)]))
    with pytest.raises(UserInputError, match='ClassCountsHook'):
        metric.evaluate(1)
    metric = LTAccuracy(class_counts=[5, 5])
    metric.process(None, samples([(0, 7)]))
    with pytest.raises(UserInputError, match='test label 7'):
        metric.evaluate(1)
    with pytest.raises(ValueError, match='few_thresh'):
        LTAccuracy(many_thresh=10, few_thresh=20)


def test_groups_of_the_evaluated_split_on_request():
    """class_counts='evaluated_split': a linear probe trained on a balanced
    set, scored by the groups its test split carries."""
    metric = LTAccuracy(class_counts='evaluated_split', many_thresh=5,
                        few_thresh=2)
    metric.dataset_meta = dict(classes=('a', 'b', 'c'),
                               class_counts=[9, 3, 1])
    metric.process(None, samples([(0, 0), (0, 1), (2, 2)]))
    result = metric.evaluate(3)
    assert (result['accuracy/many'], result['accuracy/medium'],
            result['accuracy/few']) == (100, 0, 100)
    metric.dataset_meta = dict(classes=('a', 'b', 'c'))
    metric.process(None, samples([(0, 0)]))
    with pytest.raises(UserInputError, match="needs an evaluated dataset"):
        metric.evaluate(1)
    with pytest.raises(UserInputError, match="or 'evaluated_split'"):
        LTAccuracy(class_counts='test')


def test_per_class_keys_are_sanitised_like_lt_iou_metric():
    """Names with spaces, commas or slashes make bad TensorBoard tags; the
    keys follow LTIoUMetric's convention."""
    metric = LTAccuracy(class_counts=[30, 10, 2])
    metric.dataset_meta = dict(
        classes=('traffic light', 'tench, Tinca tinca', 'pole/sign'))
    metric.process(None, samples([(0, 0), (0, 1), (2, 2)]))
    result = metric.evaluate(3)
    assert {k: v for k, v in result.items() if 'per_class' in k} == {
        'accuracy/per_class/traffic_light': 100.0,
        'accuracy/per_class/tench__Tinca_tinca': 0.0,
        'accuracy/per_class/pole_sign': 100.0,
    }
