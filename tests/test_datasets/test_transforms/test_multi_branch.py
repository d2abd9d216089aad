"""MultiBranch: one view per branch, None for the branches a sample lacks."""
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmseg.registry import TRANSFORMS

from sar_mm.utils import UserInputError

BRANCHES = ['sup', 'unsup_weak', 'unsup_strong']


def scene(seed, h=6, w=8):
    rng = np.random.RandomState(seed)
    return dict(
        img=rng.randint(0, 256, (h, w, 3)).astype(np.uint8),
        gt_seg_map=rng.randint(0, 3, (h, w)).astype(np.uint8),
        img_shape=(h, w), ori_shape=(h, w), seg_fields=['gt_seg_map'])


def labelled():
    init_default_scope('mmseg')
    return TRANSFORMS.build(dict(
        type='MultiBranch', branch_field=BRANCHES,
        sup=[dict(type='PackSegInputs')]))


def unlabelled():
    init_default_scope('mmseg')
    return TRANSFORMS.build(dict(
        type='MultiBranch', branch_field=BRANCHES,
        unsup_weak=[dict(type='PackSegInputs')],
        unsup_strong=[dict(type='RandomGrayscale', prob=1.,
                           keep_channels=True),
                      dict(type='PackSegInputs')]))


def test_each_branch_packs_its_own_view_and_missing_ones_are_none():
    results = scene(0)
    out = unlabelled()(dict(results))
    assert out['inputs']['sup'] is None and out['data_samples']['sup'] is None
    weak, strong = out['inputs']['unsup_weak'], out['inputs']['unsup_strong']
    assert torch.equal(weak, torch.from_numpy(results['img']).permute(2, 0, 1))
    # the strong branch changed its own copy only: grey, same geometry
    assert strong.shape == weak.shape
    assert torch.equal(strong[0], strong[1]) and not torch.equal(strong, weak)
    for name in ('unsup_weak', 'unsup_strong'):
        assert torch.equal(out['data_samples'][name].gt_sem_seg.data[0],
                           torch.from_numpy(results['gt_seg_map']).long())


def test_labelled_and_unlabelled_samples_collate_into_one_batch():
    batch = pseudo_collate(
        [labelled()(scene(0)), unlabelled()(scene(1)),
         unlabelled()(scene(2))])
    assert set(batch['inputs']) == set(BRANCHES)
    assert [x is None for x in batch['inputs']['sup']] == [False, True, True]
    assert [x is None for x in batch['inputs']['unsup_weak']] == [
        True, False, False]


def test_unknown_branch_or_no_branch_is_refused():
    init_default_scope('mmseg')
    with pytest.raises(UserInputError, match=r"\['unsup'\] are not in "
                       'branch_field'):
        TRANSFORMS.build(dict(type='MultiBranch', branch_field=['sup'],
                              unsup=[dict(type='PackSegInputs')]))
    with pytest.raises(UserInputError, match='at least one branch'):
        TRANSFORMS.build(dict(type='MultiBranch', branch_field=['sup']))
