"""End-to-end runs of tools/train.py, tools/test.py and tools/dist_train.sh
on the built-in scenes (tiny config: 24 scenes, 8 iterations)."""
import json
import os
import re
from pathlib import Path

import pytest
import torch

from tests.utils import TEST_CONFIGS, free_port, run_tool

pytestmark = pytest.mark.slow
TINY = TEST_CONFIGS / 'fcn_tiny_lt-digit-scenes.py'


def last_iter(work_dir: Path) -> int:
    ckpt = (work_dir / 'last_checkpoint').read_text().strip()
    return torch.load(ckpt, weights_only=False)['meta']['iter']


@pytest.fixture
def trained(tiny_fcn_run):
    """The session's 8-iteration run of TINY (its work dir: ``fcn``); the
    tests here add files next to it, and change nothing in it."""
    return tiny_fcn_run.parent


def test_train_saves_checkpoints_and_prints_per_class_iou(trained):
    wd = trained / 'fcn'
    assert (wd / 'iter_4.pth').is_file() and (wd / 'iter_8.pth').is_file()
    log = next(wd.glob('*/*.log')).read_text()
    assert 'per class results' in log
    assert re.search(r'\|\s+background\s+\|', log)


def test_resume_continues_from_the_saved_iteration(trained, tmp_path):
    wd = tmp_path / 'wd'
    os.symlink(trained / 'data', tmp_path / 'data')
    result = run_tool(['train.py', TINY, '--work-dir', wd, '--cfg-options',
                       'train_cfg.max_iters=4'], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert last_iter(wd) == 4
    result = run_tool(['train.py', TINY, '--work-dir', wd, '--resume',
                       '--cfg-options', 'train_cfg.max_iters=8'], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    log = sorted(wd.glob('*/*.log'))[-1].read_text()
    assert 'resumed epoch: 0, iter: 4' in log
    assert 'Iter(train) [6/8]' in log
    assert 'Iter(train) [2/8]' not in log
    assert last_iter(wd) == 8


def test_resume_from_a_given_checkpoint(trained, tmp_path):
    """mmpretrain's --resume CHECKPOINT: another work dir, that file."""
    os.symlink(trained / 'data', tmp_path / 'data')
    result = run_tool(['train.py', TINY, '--work-dir', 'wd', '--resume',
                       trained / 'fcn' / 'iter_4.pth'], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    log = next((tmp_path / 'wd').glob('*/*.log')).read_text()
    assert 'resumed epoch: 0, iter: 4' in log
    assert last_iter(tmp_path / 'wd') == 8


def test_test_tool_show_dir_paints_every_image(trained):
    result = run_tool(['test.py', TINY, 'fcn/iter_8.pth', '--show-dir',
                       'show'], trained)
    assert result.returncode == 0, result.stderr[-3000:]
    where = trained / 'show' / 'vis_data' / 'vis_image'
    assert f'one picture per test image goes to {where.relative_to(trained)}' \
        in result.stdout
    # 6 val scenes, fewer than upstream's interval of 50
    assert len(list(where.glob('*.png'))) == 6


def test_test_tool_evaluates_and_writes_json(trained):
    result = run_tool(['test.py', TINY, 'fcn/iter_8.pth', '--work-dir',
                       'fcn_test_wd'], trained)
    assert result.returncode == 0, result.stderr[-3000:]
    dumped = list((trained / 'fcn_test_wd').glob('*/*.json'))
    assert dumped, 'tools/test.py --work-dir wrote no metrics JSON'
    metrics = json.loads(dumped[0].read_text())
    assert 'mIoU' in metrics


def test_test_tool_out_dir(trained):
    result = run_tool(
        ['test.py', TINY, 'fcn/iter_8.pth', '--out', 'preds'], trained)
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(list((trained / 'preds').glob('*.png'))) == 6


def test_dist_train_two_cpu_processes(trained, tmp_path):
    os.symlink(trained / 'data', tmp_path / 'data')
    result = run_tool(['dist_train.sh', TINY, 2, '--work-dir', 'wd'],
                      tmp_path, PORT=str(free_port()))
    assert result.returncode == 0, result.stderr[-4000:]
    log = next((tmp_path / 'wd').glob('*/*.log')).read_text()
    assert 'Distributed training: True' in log
    assert "dist_cfg: {'backend': 'gloo'}" in log
    # the 6 val scenes are split over the 2 processes
    assert 'Iter(val) [3/3]' in log
    assert (tmp_path / 'wd' / 'iter_8.pth').is_file()
