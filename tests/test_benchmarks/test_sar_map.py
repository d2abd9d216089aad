"""The cells of benchmarks/sar_map.py: at every label fraction the SAR arm
is the supervised arm plus SAR and nothing else; a fraction trains on its
own labelled list (all train scenes for ``all``); the 1/8 and 1/4 runs are
the semi-supervised benchmark's supervised arms; and the map's paired
differences and the explanation's mIoU are what a slow loop gives."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS

from benchmarks.lt_seg import run_config
from benchmarks.sar_map import (ARMS, FRACTIONS, cell_config, loader_miou,
                                paired)
from benchmarks.semi_seg import SCENES, arm_config


def cell(fraction, arm, tmp_path, iters=3000):
    path = tmp_path / f'{fraction}_{arm}.py'
    path.write_text(run_config(*cell_config(fraction, arm), 0, iters))
    return Config.fromfile(path)


@pytest.mark.parametrize('fraction', FRACTIONS)
def test_sar_arm_is_the_supervised_arm_plus_sar(fraction, tmp_path):
    sar, base = (cell(fraction, arm, tmp_path) for arm in reversed(ARMS))
    assert base.model.type == 'EncoderDecoder'
    assert sar.model == dict(base.model, type='SAREncoderDecoder', sar={})
    assert {k: v for k, v in sar.items() if k != 'model'} == \
        {k: v for k, v in base.items() if k != 'model'}
    assert base.train_cfg.max_iters == 3000
    assert base.param_scheduler[0].end == 3000


def test_each_fraction_trains_on_its_labelled_scenes(tmp_path):
    init_default_scope('mmseg')
    # generates the scenes and their splits on a fresh clone
    DATASETS.build(dict(type='LTDigitScenes', data_root=SCENES))
    sizes = {}
    for fraction in ('1_8', '1_4', '1_2'):
        dataset = cell(fraction, 'supervised', tmp_path).train_dataloader
        dataset = dataset.dataset
        assert dataset.type == 'SemiSplitDataset'
        assert dataset.split_file == (
            f'data/lt_digit_scenes/splits/{fraction}/labeled.txt')
        with open(osp.join(SCENES, f'splits/{fraction}/labeled.txt')) as f:
            sizes[fraction] = len(f.read().splitlines())
    # of the 400 train scenes
    assert sizes == {'1_8': 50, '1_4': 100, '1_2': 200}
    whole = cell('all', 'supervised', tmp_path).train_dataloader.dataset
    assert whole.type == 'LTDigitScenes'
    assert whole.data_prefix.img_path == 'img_dir/train'


@pytest.mark.parametrize('fraction', ['1_8', '1_4'])
def test_the_semi_benchmarks_supervised_arms_are_the_cells(fraction, tmp_path):
    for arm in ARMS:
        shared = tmp_path / f'semi_{fraction}_{arm}.py'
        shared.write_text(run_config(*arm_config(fraction, arm), 0, 1000))
        assert Config.fromfile(shared).to_dict() == cell(
            fraction, arm, tmp_path, 1000).to_dict()


def test_paired_difference_is_seed_by_seed():
    cell = {'supervised': {'miou': [10.0, 20.0, 30.0]},
            'supervised+sar': {'miou': [13.0, 21.0, 35.0]}}
    diffs = [3.0, 1.0, 5.0]
    mean = sum(diffs) / 3
    std = (sum((d - mean)**2 for d in diffs) / 2)**0.5
    assert paired(cell, 'miou') == pytest.approx((mean, std))


class Sample:

    def __init__(self, pred, gt):
        from mmengine.structures import PixelData
        self.pred_sem_seg = PixelData(data=pred[None])
        self.gt_sem_seg = PixelData(data=gt[None])


class Predictor:
    """Returns the stored predictions of each batch as test_step does."""

    def test_step(self, batch):
        return [Sample(p, g) for p, g in batch]


def test_loader_miou_is_the_pooled_iou_of_present_classes():
    gen = torch.Generator().manual_seed(0)
    batches = [[(torch.randint(0, 3, (4, 5), generator=gen),
                 torch.randint(0, 3, (4, 5), generator=gen))
                for _ in range(2)] for _ in range(3)]
    batches[0][0][1][0, :] = 255  # ignored pixels
    inter = [0] * 4
    union = [0] * 4
    for batch in batches:
        for pred, gt in batch:
            for p, g in zip(pred.flatten().tolist(), gt.flatten().tolist()):
                if g == 255:
                    continue
                for c in range(4):
                    inter[c] += p == c and g == c
                    union[c] += p == c or g == c
    ious = [i / u for i, u in zip(inter, union) if u > 0]  # class 3 absent
    assert len(ious) == 3
    assert loader_miou(Predictor(), batches, 4) == pytest.approx(
        100 * sum(ious) / len(ious))
