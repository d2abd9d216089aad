"""MultiBranchDataPreprocessor: the task's preprocessor on each branch."""
import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmpretrain.registry import TRANSFORMS as PRETRAIN_TRANSFORMS
from mmseg.registry import MODELS as SEG_MODELS

from tests.test_datasets.test_transforms.test_multi_branch import (
    labelled, scene, unlabelled)

MEAN, STD = [10., 20., 30.], [2., 4., 5.]


def test_segmentation_branches_are_normalised_padded_and_stacked():
    batch = pseudo_collate([labelled()(scene(0)), unlabelled()(scene(1)),
                            unlabelled()(scene(2))])
    init_default_scope('mmseg')
    preprocessor = SEG_MODELS.build(dict(
        type='MultiBranchDataPreprocessor',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=MEAN,
                               std=STD, bgr_to_rgb=False, size=(8, 10),
                               pad_val=0, seg_pad_val=255)))
    out = preprocessor(batch, training=True)
    assert set(out['inputs']) == {'sup', 'unsup_weak', 'unsup_strong'}
    assert out['inputs']['sup'].shape == (1, 3, 8, 10)
    assert out['inputs']['unsup_weak'].shape == (2, 3, 8, 10)
    assert len(out['data_samples']['unsup_strong']) == 2
    # normalised, and the label map padded with the ignore value
    img = torch.from_numpy(scene(1)['img']).permute(2, 0, 1).float()
    expected = (img - torch.tensor(MEAN)[:, None, None]) / torch.tensor(
        STD)[:, None, None]
    torch.testing.assert_close(out['inputs']['unsup_weak'][0, :, :6, :8],
                               expected)
    seg = out['data_samples']['unsup_weak'][0].gt_sem_seg.data[0]
    assert (seg[6:] == 255).all() and (seg[:, 8:] == 255).all()


def test_evaluation_batches_go_to_the_wrapped_preprocessor():
    init_default_scope('mmseg')
    preprocessor = SEG_MODELS.build(dict(
        type='MultiBranchDataPreprocessor',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=MEAN,
                               std=STD)))
    sample = labelled()(scene(3))
    plain = dict(inputs=[sample['inputs']['sup']],
                 data_samples=[sample['data_samples']['sup']])
    out = preprocessor(plain, training=False)
    assert out['inputs'].shape == (1, 3, 6, 8)


def test_classification_branches():
    init_default_scope('mmpretrain')
    branch = PRETRAIN_TRANSFORMS.build(dict(
        type='MultiBranch', branch_field=['sup', 'unsup_weak'],
        unsup_weak=[dict(type='PackInputs')]))
    sup = PRETRAIN_TRANSFORMS.build(dict(
        type='MultiBranch', branch_field=['sup', 'unsup_weak'],
        sup=[dict(type='PackInputs')]))
    img = np.full((4, 4, 3), 7, np.uint8)
    batch = pseudo_collate([sup(dict(img=img, gt_label=2)),
                            branch(dict(img=img, gt_label=-1)),
                            branch(dict(img=img, gt_label=-1))])
    preprocessor = PRETRAIN_MODELS.build(dict(
        type='MultiBranchDataPreprocessor',
        data_preprocessor=dict(type='ClsDataPreprocessor', mean=[7.] * 3,
                               std=[1.] * 3)))
    out = preprocessor(batch, training=True)
    assert out['inputs']['sup'].shape == (1, 3, 4, 4)
    assert out['inputs']['unsup_weak'].shape == (2, 3, 4, 4)
    assert not out['inputs']['unsup_weak'].any()
    assert out['data_samples']['sup'][0].gt_label.tolist() == [2]
