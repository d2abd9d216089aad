import numpy as np
from mmpretrain.registry import TRANSFORMS

from sar_mm.datasets.transforms.fixmatch_rand_augment import (
    FIXMATCH_OPERATIONS, FixMatchRandAugment)


def test_fixmatch_pool_and_settings(mmpretrain_scope):
    transform = TRANSFORMS.build(dict(type='FixMatchRandAugment'))
    assert isinstance(transform, FixMatchRandAugment)
    # kekmodel's fixmatch_augment_pool without Identity: 13 operations
    names = [op['type'] for op in FIXMATCH_OPERATIONS]
    assert len(names) == 13 and 'Identity' not in names
    assert names.count('Shear') == names.count('Translate') == 2
    for op in transform.transforms:
        assert op.prob == 0.5  # each drawn operation applies half the time
        if op.magnitude_range is not None:
            # uniform magnitude in [0, 10] of 10 levels
            assert (op.magnitude_level, op.magnitude_std,
                    op.total_level) == (10, 'inf', 10)
    translate = transform.transforms[names.index('Translate')]
    assert translate.magnitude_range == (0, 0.3)
    assert translate.pad_val == 128  # grey fill
    posterize = transform.transforms[names.index('Posterize')]
    assert posterize.magnitude_range == (8, 4)
    assert transform.num_policies == 2


def test_two_operations_per_image_and_the_format_kept(mmpretrain_scope):
    transform = TRANSFORMS.build(dict(type='FixMatchRandAugment'))
    np.random.seed(0)
    assert len(transform.random_policy_indices()) == 2
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    changed = 0
    for _ in range(20):
        out = transform(dict(img=img.copy()))['img']
        assert out.shape == img.shape and out.dtype == np.uint8
        changed += not np.array_equal(out, img)
    # both draws skipped with probability 1/4
    assert 5 < changed < 20
