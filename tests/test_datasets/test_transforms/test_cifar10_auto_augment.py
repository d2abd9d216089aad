import numpy as np
import pytest
from mmpretrain.registry import TRANSFORMS

from sar_mm.datasets.transforms.cifar10_auto_augment import (
    CIFAR10_SUB_POLICIES, cifar10_policies)


def test_policy_follows_the_paper_table():
    policies = cifar10_policies()
    assert len(policies) == 25 and all(len(sub) == 2 for sub in policies)
    # level 7 of posterize: round(8 - 4 * 7 / 9) = 5 bits
    assert policies[5][1] == dict(type='Posterize', bits=5, prob=0.3)
    # level 9 translation: 150/331 of the side; level 8 vertical shear 0.267
    assert policies[1][1]['magnitude'] == pytest.approx(150 / 331)
    assert policies[3][0] == dict(
        type='Shear', magnitude=pytest.approx(0.3 * 8 / 9),
        direction='vertical', prob=0.5)
    assert policies[14][0]['thr'] == pytest.approx(256 * 7 / 9)
    assert CIFAR10_SUB_POLICIES[6][0] == ('Color', 0.4, 3)
    assert policies[6][0]['type'] == 'ColorTransform'


def test_transform_keeps_the_image_format(mmpretrain_scope):
    transform = TRANSFORMS.build(dict(type='CIFAR10AutoAugment'))
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    changed = 0
    for _ in range(20):
        out = transform(dict(img=img.copy()))['img']
        assert out.shape == img.shape and out.dtype == np.uint8
        changed += not np.array_equal(out, img)
    assert changed > 0
