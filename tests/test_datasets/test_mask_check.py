"""check_masks on masks written by hand: counts as LoadAnnotations reads
them, and one line naming the first bad mask, the count and the fix."""
import cv2
import numpy as np
import pytest
from mmengine.registry import DefaultScope
from mmseg.datasets import BaseSegDataset
from mmseg.datasets.transforms import LoadAnnotations

from sar_mm.datasets import mask_check
from sar_mm.datasets.mask_check import (MIN_MASKS_PER_PROCESS,
                                        check_dataset_masks, check_masks)
from sar_mm.utils import UserInputError

MASK = np.array([[0, 1, 1, 2], [255, 2, 2, 2], [7, 7, 0, 1]], np.uint8)


def write_pair(root, name, mask, image_shape=None):
    img = root / f'{name}.jpg'
    ann = root / f'{name}.png'
    shape = image_shape or mask.shape[:2]
    cv2.imwrite(str(img), np.zeros((*shape, 3), np.uint8))
    cv2.imwrite(str(ann), mask)
    return dict(img_path=str(img), seg_map_path=str(ann),
                reduce_zero_label=False, seg_fields=[])


def broken(info):
    with open(info['seg_map_path'], 'wb') as f:
        f.write(b'not a PNG')
    return info


def test_counts_and_stray_values_by_hand(tmp_path):
    info = write_pair(tmp_path, 'a', MASK)
    reports = check_masks([info, dict(img_path='unlabelled.jpg')],
                          LoadAnnotations(), 3, allow_stray=True)
    assert len(reports) == 1  # a sample without a mask is skipped
    assert reports[0].counts.tolist() == [2, 3, 4]
    assert reports[0].stray == {7: 2}  # 255 is ignored, not stray
    # reduce_zero_label as LoadAnnotations applies it: 0 -> 255, v -> v - 1
    reports = check_masks([dict(info, reduce_zero_label=True)],
                          LoadAnnotations(), 3, allow_stray=True)
    assert reports[0].counts.tolist() == [3, 4, 0]
    assert reports[0].stray == {6: 2}


@pytest.mark.parametrize('bad,message', [
    (lambda root: write_pair(root, 'x', np.stack([MASK] * 3, -1)),
     'x.png has shape (3, 4, 3) (RGB image), but a mask must be '
     'single-channel'),
    (lambda root: write_pair(root, 'x', MASK, image_shape=(4, 3)),
     'x.png is 4x3 pixels but its image'),
    (lambda root: write_pair(root, 'x', MASK),
     'x.png holds label value(s) [7], which are neither a class in [0, 3) '
     'nor the ignore index 255. Check num_classes'),
    (lambda root: broken(write_pair(root, 'x', MASK)),
     'x.png cannot be read (cannot identify image file'),
], ids=['rgb', 'size', 'stray', 'broken'])
def test_first_bad_mask_count_and_fix_in_one_line(tmp_path, bad, message):
    good = np.where(MASK == 7, 0, MASK).astype(np.uint8)
    infos = [write_pair(tmp_path, 'good0', good), bad(tmp_path),
             write_pair(tmp_path, 'good1', good), bad(tmp_path)]
    with pytest.raises(UserInputError) as error:
        check_masks(infos, LoadAnnotations(), 3, where='val_dataloader')
    line = str(error.value)
    assert '\n' not in line
    assert message in line
    assert line.endswith('(2 of 4 masks of val_dataloader fail this check.)')


def test_worker_processes_report_as_one(tmp_path):
    rng = np.random.default_rng(0)
    infos = [
        write_pair(tmp_path, f'{i}',
                   rng.integers(0, 4, (5, 6)).astype(np.uint8))
        for i in range(2 * MIN_MASKS_PER_PROCESS)
    ]
    one = check_masks(infos, LoadAnnotations(), 3, allow_stray=True)
    two = check_masks(infos, LoadAnnotations(), 3, nproc=2, allow_stray=True)
    assert [r.path for r in two] == [info['seg_map_path'] for info in infos]
    assert [r.counts.tolist() for r in two] == \
        [r.counts.tolist() for r in one]
    assert [r.stray for r in two] == [r.stray for r in one]
    # by hand: value 3 is stray, 0..2 are classes
    masks = [cv2.imread(info['seg_map_path'], cv2.IMREAD_UNCHANGED)
             for info in infos]
    assert sum(r.stray.get(3, 0) for r in two) == sum(
        int((m == 3).sum()) for m in masks)
    assert sum(r.counts.sum() for r in two) == sum(
        int((m < 3).sum()) for m in masks)


def test_ranks_read_their_shares_and_stop_alike(tmp_path, monkeypatch):
    """Distributed: rank r reads masks r, r + 2, ...; one gather gives
    every rank the same line, naming the first bad mask of all."""
    for i in range(4):
        write_pair(tmp_path, f'{i}',
                   np.stack([MASK] * 3, -1) if i in (1, 2) else MASK % 3)
    with DefaultScope.overwrite_default_scope('mmseg'):
        dataset = BaseSegDataset(
            data_root=str(tmp_path), img_suffix='.jpg',
            metainfo=dict(classes=('a', 'b', 'c')),
            pipeline=[dict(type='LoadAnnotations')])
    shares = []

    def share_only(obj):  # each rank alone: keep what it would send
        shares.append(obj)
        raise InterruptedError

    monkeypatch.setattr(mask_check, 'all_gather_object', share_only)
    for rank in (0, 1):
        monkeypatch.setattr(mask_check, 'get_dist_info', lambda r=rank: (r, 2))
        with pytest.raises(InterruptedError):
            check_dataset_masks(dataset, 'train')
    # rank 0 read masks 0 and 2, rank 1 masks 1 and 3
    assert [share[4] for share in shares] == [2, 2]
    assert [share[0][0][0] for share in shares] == [2, 1]
    monkeypatch.setattr(mask_check, 'all_gather_object', lambda obj: shares)
    for rank in (0, 1):
        monkeypatch.setattr(mask_check, 'get_dist_info', lambda r=rank: (r, 2))
        with pytest.raises(UserInputError) as error:
            check_dataset_masks(dataset, 'train')
        assert f'{tmp_path}/1.png has shape (3, 4, 3)' in str(error.value)
        assert str(error.value).endswith(
            '(2 of 4 masks of train (BaseSegDataset) fail this check.)')
