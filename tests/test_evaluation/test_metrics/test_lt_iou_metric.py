"""LTIoUMetric on two tiny label maps whose IoU / Acc were worked out by
hand (ignore pixels included), checked against mmseg's IoUMetric."""
import re

import cv2
import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.evaluation.metrics import IoUMetric
from mmseg.registry import METRICS

from sar_mm.evaluation import LTIoUMetric, metric_key_name
from sar_mm.utils import ClassStats, UserInputError

CLASSES = ('sky', 'road', 'car', 'traffic light', 'bus')
# 255: ignore (what reduce_zero_label makes of label 0); predictions on
# ignore pixels do not count
GT = [
    [[0, 0, 0, 0], [1, 1, 1, 1], [2, 2, 255, 255]],
    [[3, 3, 1, 1], [3, 3, 1, 1], [255, 0, 0, 0]],
]
PRED = [
    [[0, 0, 0, 1], [1, 1, 1, 1], [2, 0, 3, 3]],
    [[3, 3, 1, 1], [3, 1, 1, 1], [4, 0, 0, 2]],
]
# by hand, over both images:
#   class  intersect  gt  pred  union   IoU      Acc
#   sky        5       7    6     8     62.5     71.43
#   road       8       8   10    10     80.0    100.0
#   car        1       2    2     3     33.33    50.0
#   t.light    3       4    3     4     75.0     75.0
#   bus        0       0    0     0     NaN      NaN  (absent from both)
IOU = dict(sky=62.5, road=80.0, car=33.33, traffic_light=75.0)
ACC = dict(sky=71.43, road=100.0, car=50.0, traffic_light=75.0)


def run(metric, gts=GT, preds=PRED):
    metric.dataset_meta = dict(classes=CLASSES)
    for gt, pred in zip(gts, preds):
        metric.process({}, [
            dict(
                pred_sem_seg=dict(data=torch.tensor([pred])),
                gt_sem_seg=dict(data=torch.tensor([gt])))
        ])
    return metric.evaluate(len(gts))


def write_stats(path, classes=CLASSES, **groups):
    stats = ClassStats.from_counts(
        classes=classes,
        pixel_counts=[50, 30, 10, 6, 4][:len(classes)],
        image_counts=[1] * len(classes),
        num_images=1)
    stats.groups.update(groups)
    stats.dump(str(path))
    return str(path)


def test_registered():
    assert isinstance(METRICS.build(dict(type='LTIoUMetric')), LTIoUMetric)


def test_summary_equals_iou_metric():
    ours = run(LTIoUMetric())
    upstream = run(IoUMetric())
    assert ours['aAcc'] == pytest.approx(80.95)  # 17 / 21
    assert ours['mIoU'] == pytest.approx(62.71)  # mean of the 4 defined
    assert ours['mAcc'] == pytest.approx(74.11)
    for key in ('aAcc', 'mIoU', 'mAcc'):
        assert ours[key] == pytest.approx(float(upstream[key]), abs=1e-4)
        assert type(ours[key]) is float


def test_per_class_keys_by_hand():
    metrics = run(LTIoUMetric())
    for name, value in IOU.items():
        assert metrics[f'IoU.{name}'] == pytest.approx(value)
    for name, value in ACC.items():
        assert metrics[f'Acc.{name}'] == pytest.approx(value)
    # bus is absent from both ground truth and predictions: no key, no NaN
    assert 'IoU.bus' not in metrics and 'Acc.bus' not in metrics
    assert all(v == v for v in metrics.values())


def test_groups_from_the_evaluated_ground_truth():
    # gt pixels: sky 7, road 8, car 2, t.light 4, bus 0 -> sorted road, sky,
    # t.light, car, bus; class thirds: head road, sky; medium t.light, car
    metrics = run(LTIoUMetric())
    assert metrics['mIoU.head'] == pytest.approx((80.0 + 62.5) / 2)
    assert metrics['mIoU.medium'] == pytest.approx(54.17)  # (75 + 33.33) / 2
    assert metrics['mAcc.head'] == pytest.approx(85.71)
    assert metrics['mAcc.medium'] == pytest.approx(62.5)
    # tail holds only bus, undefined: no key
    assert 'mIoU.tail' not in metrics and 'mAcc.tail' not in metrics
    pixel_rule = run(LTIoUMetric(group_rule='pixel_share'))
    # shares before: road 0, sky 8/21, t.light 15/21, car 19/21
    assert pixel_rule['mIoU.head'] == pytest.approx(71.25)
    assert pixel_rule['mIoU.medium'] == pytest.approx(75.0)
    assert pixel_rule['mIoU.tail'] == pytest.approx(33.33)


def test_groups_from_a_stats_file(tmp_path):
    stats = write_stats(
        tmp_path / 's.json', head=[0], medium=[1, 2], tail=[3, 4])
    metrics = run(LTIoUMetric(stats_file=stats))
    assert metrics['mIoU.head'] == pytest.approx(62.5)
    assert metrics['mIoU.medium'] == pytest.approx(56.67)  # (80 + 33.33) / 2
    assert metrics['mIoU.tail'] == pytest.approx(75.0)  # bus skipped


def test_nan_to_num_reports_absent_classes(tmp_path):
    stats = write_stats(
        tmp_path / 's.json', head=[0], medium=[1, 2], tail=[3, 4])
    metrics = run(LTIoUMetric(stats_file=stats, nan_to_num=0))
    assert metrics['IoU.bus'] == 0
    assert metrics['mIoU'] == pytest.approx(50.17)  # 250.83 / 5
    assert metrics['mIoU.tail'] == pytest.approx(37.5)


def test_other_iou_metrics_get_group_means_too():
    metrics = run(LTIoUMetric(iou_metrics=['mIoU', 'mDice']))
    # car: dice = 2 * 1 / (2 + 2)
    assert metrics['Dice.car'] == pytest.approx(50.0)
    assert 'mDice.head' in metrics and 'mDice' in metrics


def test_table_is_sorted_head_to_tail_with_group_and_frequency(tmp_path):
    log_file = tmp_path / 'log.txt'
    MMLogger.get_instance('test_lt_iou_metric', log_file=str(log_file))
    run(LTIoUMetric())
    log = log_file.read_text()
    rows = re.findall(
        r'^\|\s*([a-z ]+?)\s*\|\s*(head|medium|tail)\s*\|'
        r'\s*([\d.]+)\s*\|', log, re.M)
    assert rows == [('road', 'head', '38.1'), ('sky', 'head', '33.3'),
                    ('traffic light', 'medium', '19'),
                    ('car', 'medium', '9.52'), ('bus', 'tail', '0')]
    assert 'groups and frequencies from the ground truth' in log
    assert re.search(r'\|\s*head\s*\|\s*2\s*\|\s*71.25\s*\|', log)


def test_stats_for_another_dataset_fail_when_the_evaluator_is_built(tmp_path):
    metric = LTIoUMetric(
        stats_file=write_stats(tmp_path / 's.json', classes=CLASSES[:3]))
    with pytest.raises(
            UserInputError,
            match='are for 3 classes, but the evaluated '
            'dataset has 5'):
        metric.dataset_meta = dict(classes=CLASSES)
    renamed = LTIoUMetric(stats_file=write_stats(tmp_path / 't.json'))
    with pytest.raises(UserInputError, match="name class 4 'bus'"):
        renamed.dataset_meta = dict(classes=CLASSES[:4] + ('truck', ))


def test_bad_group_rule():
    with pytest.raises(UserInputError, match='unknown group split rule'):
        LTIoUMetric(group_rule='terciles')


def test_metric_key_name():
    assert metric_key_name('traffic light') == 'traffic_light'
    assert metric_key_name('pole/sign') == 'pole_sign'
    assert metric_key_name('t-shirt.v2') == 't-shirt.v2'


def test_reduce_zero_label_ground_truth(tmp_path):
    """Labels loaded the way ADE20K's are: stored 0 becomes ignore, the
    rest shift down by one, so stored 1 is class 0 ('sky')."""
    stored = np.array([[0, 1, 1, 2], [0, 0, 3, 3]], np.uint8)
    cv2.imwrite(str(tmp_path / 'ann.png'), stored)
    loaded = LoadAnnotations()(dict(
        seg_map_path=str(tmp_path / 'ann.png'),
        reduce_zero_label=True,
        seg_fields=[]))['gt_seg_map']
    assert loaded.tolist() == [[255, 0, 0, 1], [255, 255, 2, 2]]
    pred = [[1, 0, 1, 1], [2, 2, 2, 0]]
    metrics = run(LTIoUMetric(), [loaded.tolist()], [pred])
    # the 5 valid pixels (gt -> pred): sky 0->0, 0->1; road 1->1;
    # car 2->2, 2->0. sky: I 1, U 2 + 2 - 1; road: I 1, U 1 + 2 - 1;
    # car: I 1, U 2 + 1 - 1
    assert metrics['IoU.sky'] == pytest.approx(33.33)
    assert metrics['IoU.road'] == pytest.approx(50.0)
    assert metrics['IoU.car'] == pytest.approx(50.0)
    assert metrics['Acc.road'] == pytest.approx(100.0)
    assert metrics['aAcc'] == pytest.approx(60.0)


def test_frequencies_of_the_labelled_training_split(tmp_path):
    """ClassCountsHook gives a run trained on a split its labelled pixels:
    the frequency column shows them (0 for a class never seen labelled),
    the groups and every metric stay the statistics file's."""
    stats = write_stats(
        tmp_path / 's.json', head=[0], medium=[1, 2], tail=[3, 4])
    log_file = tmp_path / 'log.txt'
    MMLogger.get_instance('test_lt_iou_split', log_file=str(log_file))
    metric = LTIoUMetric(stats_file=stats)
    metric.train_counts = [40, 30, 30, 0, 20]
    metrics = run(metric)
    assert metrics == run(LTIoUMetric(stats_file=stats))
    log = log_file.read_text()
    rows = re.findall(
        r'^\|\s*([a-z ]+?)\s*\|\s*(head|medium|tail)\s*\|'
        r'\s*([\d.]+)\s*\|', log, re.M)
    # by hand: 40 / 120, 30 / 120, 30 / 120, 0, 20 / 120; then the same
    # metric without them shows the statistics file's 50, 30, 10, 6, 4 %
    assert rows == [('sky', 'head', '33.3'), ('road', 'medium', '25'),
                    ('car', 'medium', '25'),
                    ('traffic light', 'tail', '0'), ('bus', 'tail', '16.7'),
                    ('sky', 'head', '50'), ('road', 'medium', '30'),
                    ('car', 'medium', '10'), ('traffic light', 'tail', '6'),
                    ('bus', 'tail', '4')]
    assert (f'groups from class statistics {stats}, frequencies from the '
            f'labelled training split') in log
