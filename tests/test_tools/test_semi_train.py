"""The FixMatch demo (shrunk) through tools/train.py: it trains, logs the
semi-supervised terms and prints the per-class and head / medium / tail
table; its checkpoint, given to tools/test.py with the plain supervised
config, reproduces its validation metrics exactly."""
import json
import math
import re

import pytest

from tests.utils import TEST_CONFIGS, run_tool, scalars

pytestmark = pytest.mark.slow
PLAIN = TEST_CONFIGS / 'fcn_tiny_lt-digit-scenes.py'


@pytest.fixture
def trained(tiny_semi_run):
    """The session's run of TINY_SEMI (tests/conftest.py)."""
    return tiny_semi_run


def test_logs_semi_terms_and_the_per_class_table(trained):
    records = scalars(trained)
    train = [r for r in records if 'loss' in r]
    for key in ('sup.decode.loss_ce', 'sup.aux.loss_ce', 'unsup.loss_s',
                'unsup.mask_ratio', 'loss_sar_anchor', 'sup.loss_sar_pull',
                'unsup.loss_sar_pull', 'sar_gate_open'):
        assert all(math.isfinite(r[key]) for r in train), key
    assert all(0 <= r['unsup.mask_ratio'] <= 1 for r in train)
    val = [r for r in records if 'mIoU' in r]
    assert val and {'mIoU.head', 'mIoU.medium', 'mIoU.tail'} <= set(val[-1])
    log = next(trained.glob('*/*.log')).read_text()
    assert 'per class results' in log
    assert re.search(r'\|\s+tail\s+\|', log)


def test_checkpoint_tests_identically_with_the_supervised_config(
        trained, tmp_path):
    val = [r for r in scalars(trained) if 'mIoU' in r][-1]
    result = run_tool(['test.py', PLAIN, trained / 'iter_8.pth',
                       '--work-dir', tmp_path / 'test_wd'], trained.parent)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads(next((tmp_path / 'test_wd').glob('*/*.json'))
                         .read_text())
    for key, value in val.items():
        if key.startswith(('mIoU', 'IoU', 'aAcc', 'mAcc', 'Acc')):
            assert metrics[key] == value, key
    # the student's weights were all there; teacher/SAR entries skipped
    assert 'missing keys in source state_dict' not in result.stdout + \
        result.stderr
