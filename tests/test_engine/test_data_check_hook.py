"""DataCheckHook checks the labels of the CPU batch against every head that
learns from them: its classes and its own ignore value. It is the only
label check of a training step."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.structures import PixelData
from mmpretrain.structures import DataSample
from mmseg.structures import SegDataSample
from torch import nn

from sar_mm.engine.hooks import DataCheckHook
from sar_mm.utils import UserInputError


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
