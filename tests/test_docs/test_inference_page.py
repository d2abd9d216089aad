"""docs/en/user_guides/inference.md, run as written: its ``python``
blocks, in order, in one namespace, from a directory laid out as the
repository root after the demos (``configs/`` of this checkout, the
built-in scenes, the demos' checkpoints), where the scenes and the
checkpoints are the session's tiny runs (tests/conftest.py): the tiny
configs are the demo configs with less data and fewer iterations."""
import re

import cv2
import numpy as np
import pytest
import torch
from mmengine.runner.checkpoint import _load_checkpoint

from tests.utils import REPO, fresh_process_state

PAGE = REPO / 'docs/en/user_guides/inference.md'
SAR_CKPT = 'work_dirs/fcn_lt-digit-scenes_sar/iter_3000.pth'
SEMI_CKPT = ('work_dirs/fixmatch-fcn_r18-d8_1xb8-1k_lt-digit-scenes-1-8-'
             '64x64/iter_1000.pth')


@pytest.fixture(scope='module')
def page_run(tiny_sar_run, tiny_semi_run, tmp_path_factory):
    """Run the page's code once; (its directory, its namespace)."""
    cwd = tmp_path_factory.mktemp('inference')
    (cwd / 'configs').symlink_to(REPO / 'configs')
    (cwd / 'data').mkdir()
    (cwd / 'data' / 'lt_digit_scenes').symlink_to(
        tiny_sar_run.parent / 'data' / 'lt_digit_scenes_tiny')
    for name, run in ((SAR_CKPT, tiny_sar_run), (SEMI_CKPT, tiny_semi_run)):
        (cwd / name).parent.mkdir(parents=True)
        (cwd / name).symlink_to(run / 'iter_8.pth')
    text = PAGE.read_text()
    blocks = re.findall(r'```python\n(.*?)```', text, re.S)
    assert len(blocks) == 3
    namespace = {}
    with fresh_process_state(cwd, ['inference']):
        for block in blocks:
            exec(compile(block, str(PAGE), 'exec'), namespace)
    return cwd, namespace


def test_sar_checkpoint_predicts_a_class_per_pixel(page_run):
    cwd, ns = page_run
    image = cv2.imread(str(cwd / ns['image']))
    pred = ns['result'].pred_sem_seg.data
    assert pred.shape == (1, *image.shape[:2])
    classes = ns['model'].dataset_meta['classes']
    assert len(classes) == 11  # background and the 10 digits
    assert 0 <= pred.min() and pred.max() < len(classes)


def test_plain_config_loads_the_semi_supervised_student(
        page_run, tiny_semi_run):
    """Every weight of the plain model is the checkpoint's (the student,
    under the supervised keys); the checkpoint holds more (SAR's
    anchors), which inference does not need."""
    _, ns = page_run
    saved = _load_checkpoint(str(tiny_semi_run / 'iter_8.pth'),
                             map_location='cpu')['state_dict']
    weights = ns['semi_model'].state_dict()
    assert set(weights) < set(saved)
    for key, value in weights.items():
        assert torch.equal(value, saved[key]), key
    assert ns['semi_result'].pred_sem_seg.data.shape == \
        ns['result'].pred_sem_seg.data.shape


def test_the_visualizer_paints_the_prediction(page_run):
    cwd, ns = page_run
    picture = cv2.imread(str(cwd / 'work_dirs/inference/val_00000.png'))
    image = cv2.imread(str(cwd / ns['image']))
    assert picture.shape == image.shape
    # the prediction's colours are blended over the scene
    assert not np.array_equal(picture, image)
