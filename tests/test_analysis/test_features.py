"""Per-class capped sampling and the reading of decode features at label
pixels."""
import pytest
import torch
import torch.nn.functional as F

from sar_mm.analysis.features import (PerClassSample, _bilinear_at,
                                      _source_coords, bottom_k_per_class)
from sar_mm.utils import UserInputError


def test_bottom_k_per_class():
    labels = torch.tensor([1, 0, 1, 1, 0, 2])
    keys = torch.tensor([.5, .9, .1, .3, .2, .7], dtype=torch.float64)
    kept = bottom_k_per_class(labels, keys, 2)
    # class 0: keys .2 (4), .9 (1); class 1: .1 (2), .3 (3); class 2: 5
    assert kept.tolist() == [4, 1, 2, 3, 5]


def sample_in_batches(labels, sizes, cap=3):
    sample = PerClassSample(num_classes=3, cap=cap, seed=0)
    feats = torch.arange(len(labels), dtype=torch.float32)[:, None]
    start = 0
    for size in sizes:
        chunk = slice(start, start + size)
        sample.add(labels[chunk], lambda i, c=chunk: feats[c][i])
        start += size
    return sample


def test_sample_is_capped_and_independent_of_batching():
    labels = torch.randint(0, 3, (200, ),
                           generator=torch.Generator().manual_seed(0))
    labels[labels == 2] = 1  # class 2 absent
    one = sample_in_batches(labels, [200])
    many = sample_in_batches(labels, [7, 50, 1, 100, 42])
    f1, l1 = one.result()
    f2, l2 = many.result()
    assert torch.equal(f1, f2) and torch.equal(l1, l2)
    assert torch.bincount(l1, minlength=3).tolist() == [3, 3, 0]
    assert one.counts.tolist() == torch.bincount(labels,
                                                 minlength=3).tolist()
    # each kept feature is its own item's
    assert torch.equal(labels[f1[:, 0].long()], l1)


def test_fewer_items_than_the_cap_are_all_kept():
    labels = torch.tensor([0, 1, 1])
    f, l = sample_in_batches(labels, [3], cap=5).result()
    assert sorted(f[:, 0].tolist()) == [0, 1, 2]


def test_empty_sample_is_an_error():
    sample = PerClassSample(num_classes=3, cap=2, seed=0)
    with pytest.raises(UserInputError, match='no labelled sample'):
        sample.result()
    with pytest.raises(UserInputError, match='max-per-class'):
        PerClassSample(3, 0, 0)


@pytest.mark.parametrize('align_corners', [False, True])
@pytest.mark.parametrize('size', [(64, 64), (37, 50)])
def test_features_at_pixels_equal_upsampled_features(align_corners, size):
    """Reading the feature map bilinearly at a pixel gives exactly what
    mmseg's upsampling of the map to the label size gives there."""
    feats = torch.randn(2, 5, 8, 9, generator=torch.Generator().manual_seed(0))
    up = F.interpolate(feats, size=size, mode='bilinear',
                       align_corners=align_corners)
    ys, xs = torch.meshgrid(torch.arange(size[0]), torch.arange(size[1]),
                            indexing='ij')
    y, x = ys.flatten().double(), xs.flatten().double()
    img = torch.ones_like(ys.flatten())
    fy = _source_coords(y, torch.tensor(float(size[0])), torch.tensor(8.),
                        align_corners)
    fx = _source_coords(x, torch.tensor(float(size[1])), torch.tensor(9.),
                        align_corners)
    read = _bilinear_at(feats, img, fy.float(), fx.float())
    torch.testing.assert_close(read, up[1].flatten(1).T, atol=1e-5,
                               rtol=1e-5)
