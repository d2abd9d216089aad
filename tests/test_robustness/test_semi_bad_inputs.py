"""Bad input to semi-supervised training, through tools/train.py: each
gives one line naming the problem and the fix, before anything is written
(config-level) or without losing anything (data-level)."""
import cv2
import pytest

from tests.test_robustness.test_bad_inputs import (  # noqa: F401
    DATA, cwd, one_error_line, pristine)
from tests.utils import TINY_SEMI, run_tool

pytestmark = pytest.mark.slow
SPLITS = f'{DATA}/splits/1_8'


def train(cwd, *options):
    return run_tool([
        'train.py', TINY_SEMI, '--work-dir', 'wd', '--cfg-options',
        'train_cfg.max_iters=2', *options
    ], cwd)


def test_missing_split_file(cwd):
    error = one_error_line(
        train(cwd, 'train_dataloader.dataset.datasets.1.split_file='
              'splits/none.txt'))
    assert 'split file splits/none.txt (unlabelled set) not found' in error
    assert not (cwd / 'wd').exists()


def test_split_line_naming_a_missing_image(cwd):
    with open(cwd / SPLITS / 'labeled.txt', 'a') as f:
        f.write('img_dir/train/gone.png ann_dir/train/gone.png\n')
    error = one_error_line(train(cwd))
    assert '1 image(s) listed in labelled split file' in error
    assert 'gone.png' in error


def test_image_in_both_lists(cwd):
    line = (cwd / SPLITS / 'labeled.txt').read_text().splitlines()[0]
    with open(cwd / SPLITS / 'unlabeled.txt', 'a') as f:
        f.write(line + '\n')
    error = one_error_line(train(cwd))
    assert '1 image(s) are in both the labelled split' in error


def test_empty_set(cwd):
    # the labelled case is the same check (tests/test_datasets)
    (cwd / SPLITS / 'unlabeled.txt').write_text('')
    error = one_error_line(train(cwd))
    assert 'unlabelled split file' in error and 'lists no samples' in error


# The sampler's ratio and batch-size checks: tests/test_datasets/
# test_samplers/test_multi_source_sampler.py, and through tools/train.py
# tests/test_tools/test_fixmatch_train.py. The segmentor's other refusals:
# tests/test_models/test_segmentors/test_fixmatch_segmentor.py.
def test_bad_sar_setting_names_the_segmentor(cwd):
    assert "unknown key(s) ['trade_off'] in sar=dict(...) of " \
        'FixMatchSegmentor' in one_error_line(
            train(cwd, 'model.sar.trade_off=0.1'))


def test_labelled_mask_with_out_of_range_labels(cwd):
    name = (cwd / SPLITS / 'labeled.txt').read_text().split()[1]
    mask = cv2.imread(str(cwd / DATA / name), cv2.IMREAD_UNCHANGED)
    mask[5:25, 5:25] = 50
    cv2.imwrite(str(cwd / DATA / name), mask)
    error = one_error_line(train(cwd, 'train_cfg.max_iters=4'))
    assert 'label value(s) [50]' in error


def test_missing_data_root_of_the_split_dataset(cwd):
    error = one_error_line(
        train(cwd, 'train_dataloader.dataset.datasets.0.dataset.type='
              'ADE20KDataset',
              'train_dataloader.dataset.datasets.0.dataset.data_root='
              'data/ade/missing'))
    assert "data_root 'data/ade/missing'" in error
    assert 'datasets.0.dataset' in error
