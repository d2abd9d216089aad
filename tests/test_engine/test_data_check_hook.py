"""DataCheckHook checks the labels of the CPU batch against every head that
learns from them: its classes and its own ignore value. It is the only
label check of a training step. At the start of a run it reads every mask
of every loader (check_masks): a bad val mask stops the run before the
first iteration."""
import shutil
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmengine.structures import PixelData
from mmpretrain.structures import DataSample
from mmseg.registry import DATASETS
from mmseg.structures import SegDataSample
from torch import nn

from sar_mm.datasets import LTDigitScenes
from sar_mm.engine.hooks import DataCheckHook
from sar_mm.datasets.mask_check import mask_datasets
from sar_mm.engine.launch import add_default_hooks
from sar_mm.utils import UserInputError
from tests.utils import TEST_CONFIGS, TINY_SEMI

SCENES = 'data/lt_digit_scenes_tiny'


def head(num_classes, **attrs):
    module = nn.Module()
    module.num_classes = num_classes
    for key, value in attrs.items():
        setattr(module, key, value)
    return module


def check(model, samples, inputs=None):
    runner = SimpleNamespace(model=model)
    batch = dict(data_samples=samples)
    if inputs is not None:
        batch['inputs'] = inputs
    DataCheckHook().before_train_iter(runner, 0, batch)


def segmentation(label_rows):
    label = torch.tensor(label_rows)[None]
    sample = SegDataSample(gt_sem_seg=PixelData(data=label))
    sample.set_metainfo(dict(img_path='a.png'))
    return [sample], [torch.zeros(3, *label.shape[1:])]


@pytest.mark.parametrize('labels,bad', [
    ([[0, 2], [255, 1]], None),
    ([[0, 3], [255, 1]], '[3]'),  # a class of neither head
    ([[0, 2], [254, 1]], '[254]'),  # ignored by the decode head only
])
def test_each_head_checks_its_classes_and_ignore_value(labels, bad):
    model = nn.Module()
    model.decode_head = head(3, ignore_index=255)
    model.auxiliary_head = nn.ModuleList(
        [head(3, ignore_index=255),
         head(3, ignore_index=255)])
    if bad == '[254]':
        model.decode_head.ignore_index = 254
    samples, inputs = segmentation(labels)
    if bad is None:
        check(model, samples, inputs)
        return
    with pytest.raises(UserInputError) as err:
        check(model, samples, inputs)
    assert f'of a.png holds label value(s) {bad}' in str(err.value)


def test_image_labels_have_no_ignore_value():
    model = nn.Module()
    model.head = head(10)
    check(model, [DataSample().set_gt_label(9)])
    with pytest.raises(UserInputError,
                       match=r'\[255\], which are neither a class in '
                       r'\[0, 10\)\. Check'):
        check(model, [DataSample().set_gt_label(255)])


def test_every_branch_of_a_semi_supervised_batch_is_checked():
    """MultiBranch batches: {'inputs': {branch: list}, 'data_samples':
    {branch: list}} with None where a sample lacks the branch; the heads
    are the student's."""
    model = nn.Module()
    model.student = nn.Module()
    model.student.decode_head = head(3, ignore_index=255)
    good, good_inputs = segmentation([[0, 2], [255, 1]])
    bad, bad_inputs = segmentation([[0, 7], [255, 1]])
    weak, weak_inputs = segmentation([[0, 0], [255, 255]])
    batch = dict(
        inputs=dict(sup=good_inputs + bad_inputs + [None],
                    unsup_weak=[None, None] + weak_inputs),
        data_samples=dict(sup=good + bad + [None],
                          unsup_weak=[None, None] + weak))
    with pytest.raises(UserInputError, match=r'label value\(s\) \[7\]'):
        DataCheckHook().before_train_iter(
            SimpleNamespace(model=model), 0, batch)
    batch['data_samples']['sup'][1] = None
    DataCheckHook().before_train_iter(SimpleNamespace(model=model), 0, batch)


def test_a_stray_label_error_names_the_mask():
    model = nn.Module()
    model.decode_head = head(3, ignore_index=255)
    samples, inputs = segmentation([[0, 5], [255, 1]])
    samples[0].set_metainfo(dict(seg_map_path='a_mask.png'))
    with pytest.raises(UserInputError, match=r'of a_mask\.png holds label'):
        check(model, samples, inputs)


@pytest.mark.parametrize('split', ['val', 'test'])
def test_images_of_different_sizes_in_an_evaluation_batch(split):
    """mmseg's SegDataPreProcessor asserts one size per evaluation batch;
    the hook says so first, with the fix."""
    hook, runner = DataCheckHook(), SimpleNamespace(model=nn.Module())
    before_iter = getattr(hook, f'before_{split}_iter')
    samples = [SegDataSample(), SegDataSample()]
    before_iter(runner, 0, dict(inputs=[torch.zeros(3, 4, 5)] * 2,
                                data_samples=samples))
    with pytest.raises(UserInputError) as err:
        before_iter(runner, 0, dict(
            inputs=[torch.zeros(3, 4, 5), torch.zeros(3, 6, 5)],
            data_samples=samples))
    assert f'one {split} batch have different sizes [(4, 5), (6, 5)]' in \
        str(err.value)
    assert f'Set {split}_dataloader.batch_size=1' in str(err.value)


@pytest.fixture(scope='module')
def scenes(tmp_path_factory):
    """The tiny scenes, generated once."""
    root = tmp_path_factory.mktemp('scenes')
    LTDigitScenes(data_root=str(root / SCENES), num_train=24, num_val=6)
    return root / SCENES


def test_a_bad_val_mask_stops_the_run_before_the_first_iteration(
        tmp_path, scenes, monkeypatch):
    shutil.copytree(scenes, tmp_path / SCENES)
    mask = tmp_path / SCENES / 'ann_dir/val/val_00001.png'
    label = cv2.imread(str(mask), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(str(mask), np.stack([label] * 3, axis=-1))
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(str(TEST_CONFIGS / 'fcn_tiny_lt-digit-scenes.py'))
    cfg.work_dir = str(tmp_path / 'wd')
    add_default_hooks(cfg)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(UserInputError) as err:
        runner.train()
    assert runner.iter == 0
    assert ('ann_dir/val/val_00001.png has shape (64, 64, 3) (RGB image), '
            'but a mask must be single-channel') in str(err.value)
    assert str(err.value).endswith(
        '(1 of 6 masks of val_dataloader.dataset (LTDigitScenes) fail this '
        'check.)')
    # the switch for datasets too large to read at every start
    DataCheckHook(check_masks=False).before_train(runner)


def test_only_the_labelled_part_of_a_semi_supervised_set_has_masks(
        tmp_path, scenes, monkeypatch):
    shutil.copytree(scenes, tmp_path / SCENES)
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(str(TINY_SEMI))
    with DefaultScope.overwrite_default_scope('mmseg'):
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
    found = list(mask_datasets(dataset, 'train'))
    assert [path for path, _, _ in found] == ['train.datasets.0']
    assert found[0][1].labelled
