"""The long-tailed segmentation kit in real runs of tools/train.py and
tools/test.py: SAR + LongTailPixelSampler trains, and LTIoUMetric's
per-class and group results reach scalars.json and the test JSON."""
import json

import pytest

from sar_mm.utils import ClassStats
from tests.utils import TEST_CONFIGS, run_tool, scalars

pytestmark = pytest.mark.slow
TINY_SAR = TEST_CONFIGS / 'fcn_tiny_lt-digit-scenes_sar.py'
SAMPLER = [
    '--cfg-options', 'model.decode_head.sampler.type=LongTailPixelSampler',
    'model.decode_head.loss_decode.avg_non_ignore=True'
]
# the demo's groups (configs/_base_/datasets/lt_digit_scenes_class_stats.json)
GROUP_KEYS = ['mIoU.head', 'mIoU.medium', 'mIoU.tail', 'mAcc.tail']


def test_metrics_reach_scalars_json_and_test_json(tmp_path):
    result = run_tool(['train.py', TINY_SAR, '--work-dir', 'wd', *SAMPLER],
                      tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    log = next((tmp_path / 'wd').glob('*/*.log')).read_text()
    assert "sampler=dict(type='LongTailPixelSampler')" in log
    assert 'decode.loss_ce' in log and 'loss_sar_anchor' in log
    val = [r for r in scalars(tmp_path / 'wd') if 'mIoU' in r]
    assert len(val) == 1
    for key in ['mIoU', 'IoU.background', 'Acc.background', *GROUP_KEYS]:
        assert key in val[0], key

    result = run_tool(
        ['test.py', TINY_SAR, 'wd/iter_8.pth', '--work-dir', 'test_wd'],
        tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    dumped = list((tmp_path / 'test_wd').glob('*/*.json'))
    assert len(dumped) == 1
    metrics = json.loads(dumped[0].read_text())
    for key in ['mIoU', 'IoU.background', 'Acc.background', *GROUP_KEYS]:
        assert key in metrics, key
    # every per-class IoU is a plain number; absent classes are left out
    per_class = {k: v for k, v in metrics.items() if k.startswith('IoU.')}
    assert all(
        isinstance(v, float) and 0 <= v <= 100 for v in per_class.values())
    assert metrics['mIoU'] == pytest.approx(
        sum(per_class.values()) / len(per_class), abs=0.01)
    assert 'per group results' in result.stdout + result.stderr


def test_stats_for_other_classes_stop_training_with_one_line(tmp_path):
    stats = tmp_path / 'stats.json'
    ClassStats.from_counts(
        classes=('road', 'car', 'bike'),
        pixel_counts=[9, 3, 1],
        image_counts=[1, 1, 1],
        num_images=1).dump(str(stats))
    result = run_tool([
        'train.py', TINY_SAR, '--work-dir', 'wd', '--cfg-options',
        'model.decode_head.sampler.type=LongTailPixelSampler',
        f'model.decode_head.sampler.stats_file={stats}'
    ], tmp_path)
    assert result.returncode == 1
    assert 'Traceback' not in result.stderr
    assert (f'ERROR: the class statistics {stats} are for 3 classes, but '
            f'the decode head (FCNHead) has 11') in result.stderr
