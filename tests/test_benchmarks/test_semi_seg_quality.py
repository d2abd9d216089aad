"""The pseudo-label quality of benchmarks/semi_seg.py: on a saved model,
the digit and per-tail-class shares are those of a direct count over the
unlabelled scenes' pixels."""
import os

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmseg.registry import MODELS

from benchmarks.lt_seg import STATS, run_dir
from benchmarks.semi_seg import (SCENES, config_file, pseudo_label_quality,
                                 run_name)
from sar_mm.utils import ClassStats


def test_quality_counts_the_confident_pixels_of_each_tail_class(tmp_path):
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(config_file('1_8')).model)
    model.init_weights()
    with torch.no_grad():  # peaked, varied predictions from untrained weights
        model.decode_head.conv_seg.weight.mul_(300)
        model.decode_head.conv_seg.bias.normal_(0, 3)
    work = run_dir(run_name('1_8', 'supervised'), 0, 5, str(tmp_path))
    os.makedirs(work)
    torch.save({'state_dict': model.state_dict(), 'meta': {}},
               os.path.join(work, 'iter_5.pth'))
    quality = pseudo_label_quality('1_8', 'supervised', 'scratch', 'fcn', 0,
                                   5, str(tmp_path), threshold=0.5)

    loader = Runner.build_dataloader(dict(
        batch_size=8, num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(
            type='SemiSplitDataset',
            dataset=dict(type='LTDigitScenes', data_root=SCENES),
            split_file=f'{SCENES}/splits/1_8/unlabeled.txt',
            pipeline=[dict(type='LoadImageFromFile'),
                      dict(type='LoadAnnotations'),
                      dict(type='PackSegInputs')])))
    model.eval()
    gts, preds, confs = [], [], []
    with torch.no_grad():
        for batch in loader:
            for sample in model.test_step(batch):
                conf, pred = sample.seg_logits.data.softmax(0).max(0)
                gts.append(sample.gt_sem_seg.data[0].flatten())
                preds.append(pred.flatten())
                confs.append(conf.flatten())
    gt, pred, conf = torch.cat(gts), torch.cat(preds), torch.cat(confs)
    sure = conf >= 0.5

    def expected(of_class):
        mine = of_class(gt)
        confident = (mine & sure).sum().item()
        # no confident pixel: every share of them is reported as 0
        of_confident = max(confident, 1)
        return dict(
            confident=100 * confident / mine.sum().item(),
            background=100 * (mine & sure & (pred == 0)).sum().item() /
            of_confident,
            accuracy=100 * (mine & sure & (pred == gt)).sum().item() /
            of_confident,
            other=100 * (mine & sure & (pred != 0) &
                         (pred != gt)).sum().item() / of_confident)

    digits = expected(lambda g: (g > 0) & (g < 11))
    assert digits['confident'] > 0
    for key, value in digits.items():
        assert quality[key] == pytest.approx(value)
    stats = ClassStats.load(STATS)
    assert list(quality['tail']) == [stats.classes[c]
                                     for c in stats.groups['tail']]
    for c in stats.groups['tail']:
        got = quality['tail'][stats.classes[c]]
        for key, value in expected(lambda g, c=c: g == c).items():
            assert got[key] == pytest.approx(value), (c, key)
