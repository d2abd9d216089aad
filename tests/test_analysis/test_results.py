"""Reading per-class results and training curves."""
import json

import numpy as np
import pytest

from sar_mm.analysis.plots import curve_panels
from sar_mm.analysis.results import read_per_class, read_scalars
from sar_mm.utils import UserInputError


def test_per_class_from_test_json_and_scalars(tmp_path):
    names = ['background', 'traffic light', 'car']
    test_json = tmp_path / 'test.json'
    test_json.write_text(json.dumps(
        {'mIoU': 50.0, 'IoU.background': 90.0, 'IoU.traffic_light': 10.0}))
    prefix, values = read_per_class(str(test_json), names)
    assert prefix == 'IoU.'
    np.testing.assert_array_equal(values, [90, 10, np.nan])

    scalars = tmp_path / 'scalars.json'
    scalars.write_text('\n'.join(json.dumps(r) for r in [
        {'loss': 1.0, 'lr': 0.1, 'step': 1},
        {'accuracy/top1': 5.0, 'accuracy/per_class/car': 1.0, 'step': 1},
        {'accuracy/top1': 7.0, 'accuracy/per_class/car': 2.0, 'step': 2},
        {'loss': 0.5, 'lr': 0.1, 'step': 3},
    ]) + '\n')
    prefix, values = read_per_class(str(scalars), names)
    assert prefix == 'accuracy/per_class/'
    assert values[2] == 2.0  # the last validation

    with pytest.raises(UserInputError, match='no per-class results'):
        read_per_class(str(scalars), names, prefix='IoU.')
    (tmp_path / 'bad.json').write_text('{not json')
    with pytest.raises(UserInputError, match='neither JSON'):
        read_per_class(str(tmp_path / 'bad.json'), names)


def test_scalars_of_a_work_dir(tmp_path):
    vis = tmp_path / '20260101_000000' / 'vis_data'
    vis.mkdir(parents=True)
    (vis / 'scalars.json').write_text('\n'.join(json.dumps(r) for r in [
        {'lr': 0.1, 'loss': 2.0, 'decode.loss_ce': 1.5, 'loss_sar_pull': 0.1,
         'sar_anchor_acc': 0.5, 'decode.acc_seg': 50.0, 'time': 1.0,
         'iter': 10, 'step': 10},
        {'lr': 0.05, 'loss': 1.0, 'decode.loss_ce': 0.8, 'loss_sar_pull':
         0.05, 'sar_anchor_acc': 1.0, 'decode.acc_seg': 70.0, 'time': 1.0,
         'iter': 20, 'step': 20},
        {'mIoU': 40.0, 'IoU.car': 30.0, 'time': 0.1, 'step': 20},
    ]) + '\n')
    curves = read_scalars(str(tmp_path))
    assert curves.val_unit == 'iteration'
    np.testing.assert_array_equal(curves.train['loss'], [[10, 2.], [20, 1.]])
    assert 'time' not in curves.train and 'iter' not in curves.train
    assert curves.val['mIoU'].tolist() == [[20, 40.]]
    panels = curve_panels([('run', curves)])
    assert panels['losses'] == [('train', 'loss'), ('train', 'decode.loss_ce'),
                                ('train', 'loss_sar_pull')]
    assert panels['SAR gate and anchor accuracy'] == [('train',
                                                       'sar_anchor_acc')]
    assert panels['validation'] == [('val', 'mIoU')]  # no per-class keys
    assert panels['learning rate'] == [('train', 'lr')]
    assert curve_panels([('run', curves)], ['IoU.*']) == dict(
        validation=[('val', 'IoU.car')])
    with pytest.raises(UserInputError, match='no \\*/vis_data'):
        read_scalars(str(tmp_path / 'nothing'))
