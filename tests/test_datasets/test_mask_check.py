"""check_masks on masks written by hand: counts as LoadAnnotations reads
them, and one line naming the first bad mask, the count and the fix."""
import cv2
import numpy as np
import pytest
from mmseg.datasets.transforms import LoadAnnotations

from sar_mm.datasets.mask_check import MIN_MASKS_PER_PROCESS, check_masks
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
