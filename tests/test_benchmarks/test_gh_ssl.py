"""benchmarks/gh_ssl.py's ``--imbalance`` setting: the pre-training set and
the probe's shot groups take the ratio and nothing else changes, a ratio
that empties the tail is refused in one line, and the report shows every
setting of its JSON."""
import json

import pytest
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS

from benchmarks.gh_ssl import ARMS, PROBE, load, report
from tests.utils import one_error_line, run_tool

# n_c = floor(120 * 100 ** (-c / 9)), by hand: 120 / 1.668 = 71.9,
# 120 / 2.783 = 43.1, ..., 120 / 59.95 = 2.002, 120 / 100 = 1.2
COUNTS_100 = [120, 71, 43, 25, 15, 9, 5, 3, 2, 1]


@pytest.mark.parametrize('name', list(ARMS.values()))
def test_pretraining_set_takes_the_ratio_and_nothing_else(name):
    default, steep = load(name), load(name, imbalance=100)
    assert default.train_dataloader.dataset.imbalance_ratio == 10
    assert steep.train_dataloader.dataset.imbalance_ratio == 100
    steep.train_dataloader.dataset.imbalance_ratio = 10
    assert steep.to_dict() == default.to_dict()


def test_probe_trains_balanced_and_groups_by_the_ratio():
    init_default_scope('mmpretrain')
    probe = load(PROBE, imbalance=100)
    assert probe.train_dataloader.dataset.imbalance_ratio == 1
    for split in ('val', 'test'):
        assert probe[f'{split}_dataloader'].dataset.imbalance_ratio == 100
    test_set = DATASETS.build(probe.test_dataloader.dataset)
    assert test_set.metainfo['class_counts'] == COUNTS_100
    assert len(test_set) == 500  # still balanced: 50 per digit
    pretrain = DATASETS.build(
        load(ARMS['SimCLR'], imbalance=100).train_dataloader.dataset)
    assert len(pretrain) == sum(COUNTS_100) == 294


def test_a_ratio_that_empties_the_tail_is_one_error_line(tmp_path):
    # 120 / 200 < 1: digit 9 would get no image
    result = run_tool(
        ['../benchmarks/gh_ssl.py', '--imbalance', '200', '--out',
         str(tmp_path / 'gh')], tmp_path)
    line = one_error_line(result)
    assert 'imbalance_ratio' in line, line
    assert not list(tmp_path.iterdir())


def _run(top1, few, tail_accuracy=100.0, tail_angle=60.0):
    """One run's numbers; digits 4-9 get ``tail_*``, the others 100 % and
    70 degrees."""
    return dict(top1=top1, many=100.0, medium=90.0, few=few, class_sd=2.0,
                per_class=[100.0] * 4 + [tail_accuracy] * 6,
                **{'nc1/per_class': [0.5] * 10,
                   'min_angle/per_class': [70.0] * 4 + [tail_angle] * 6},
                **{f'{key}/{group}': 1.0
                   for key in ('nc1', 'min_angle')
                   for group in ('many', 'medium', 'few')})


def _data():
    setting = dict(simplex_angle=96.4, seeds=[0, 1], epochs=100,
                   probe_epochs=50)
    data = dict(settings=dict(
        imbalance_100=dict(
            imbalance=100.0, class_counts=COUNTS_100,
            runs={'SimCLR': [_run(90.0, 80.0, 80.0, 50.0),
                             _run(94.0, 84.0, 84.0, 40.0)]},
            **setting),
        imbalance_10=dict(
            imbalance=10.0,
            class_counts=[120, 92, 71, 55, 43, 33, 25, 20, 15, 12],
            runs={'SimCLR': [_run(96.0, 91.0), _run(96.0, 93.0)]},
            **setting)))
    return data


def test_report_shows_every_setting_by_ratio():
    text = report(_data())
    ten, hundred = text.index('(imbalance 10)'), text.index(
        '(imbalance 100)')
    assert ten < hundred
    assert 'few < 20 (digits 8, 9)' in text[:hundred]
    assert 'few < 20 (digits 4, 5, 6, 7, 8, 9)' in text[hundred:]
    # mean and sample sd of (90, 94) and of (80, 84): 92 ± 2.8, 82 ± 2.8
    assert '| SimCLR | 92.0 ± 2.8 | 100.0 ± 0.0 | 90.0 ± 0.0 | 82.0 ± 2.8 ' \
        '| 2.0 ± 0.0 |' in text[hundred:]
    assert 'Step time' not in text
    # the few-shot digits at 100 (4-9) at both ratios: pre-training images
    # 43 + 33 + 25 + 20 + 15 + 12 = 148 at 10, 15 + 9 + 5 + 3 + 2 + 1 = 35
    # at 100; accuracy (80, 84) and angle (50, 40) over the seeds at 100
    tail = text[text.index("SimCLR's tail across the ratios: digits 4, 5, "
                           '6, 7, 8, 9 against the rest'):]
    assert '| 10 | 148 | 100.0 ± 0.0 | 100.0 ± 0.0 | 0.50 ± 0.00 | ' \
        '0.50 ± 0.00 | 60.0 ± 0.0 | 70.0 ± 0.0 |' in tail
    assert '| 100 | 35 | 82.0 ± 2.8 | 100.0 ± 0.0 | 0.50 ± 0.00 | ' \
        '0.50 ± 0.00 | 45.0 ± 7.1 | 70.0 ± 0.0 |' in tail
    assert '| 100 | pre-training images | 120 | 71 | 43 | 25 | 15 | 9 | 5 | ' \
        '3 | 2 | 1 |' in tail
    assert '| 100 | nearest-mean angle | ' + '70.0 | ' * 4 + '45.0 | ' * 5 + \
        '45.0 |' in tail


def test_report_only_rewrites_the_report_from_the_json(tmp_path):
    out = tmp_path / 'gh'
    missing = run_tool(['../benchmarks/gh_ssl.py', '--report-only', '--out',
                        str(out)], tmp_path)
    assert 'no ' + str(out) + '.json' in one_error_line(missing)
    (tmp_path / 'gh.json').write_text(json.dumps(_data()))
    result = run_tool(['../benchmarks/gh_ssl.py', '--report-only', '--out',
                       str(out)], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / 'gh.md').read_text() == report(_data())
