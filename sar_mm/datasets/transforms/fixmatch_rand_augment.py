from typing import List

from mmpretrain.datasets.transforms import RandAugment
from mmpretrain.registry import TRANSFORMS

# FixMatch's RandAugment operations with their magnitude ranges (maximum
# at magnitude level 10): shear 0.3, translation 0.3 of the side, rotation
# 30 deg, colour/contrast/sharpness/brightness factor 1 +- 0.9 (the sign
# drawn per use), posterize 8..4 bits, solarize threshold 256..0. The
# reference pool's Identity is left out: mmpretrain has no such transform,
# and each operation is skipped with probability 0.5 anyway.
FIXMATCH_OPERATIONS = (
    dict(type='AutoContrast'),
    dict(type='Brightness', magnitude_range=(0, 0.9)),
    dict(type='ColorTransform', magnitude_range=(0, 0.9)),
    dict(type='Contrast', magnitude_range=(0, 0.9)),
    dict(type='Equalize'),
    dict(type='Posterize', magnitude_range=(8, 4)),
    dict(type='Rotate', magnitude_range=(0, 30)),
    dict(type='Sharpness', magnitude_range=(0, 0.9)),
    dict(type='Shear', magnitude_range=(0, 0.3), direction='horizontal'),
    dict(type='Shear', magnitude_range=(0, 0.3), direction='vertical'),
    dict(type='Solarize', magnitude_range=(256, 0)),
    dict(type='Translate', magnitude_range=(0, 0.3), direction='horizontal'),
    dict(type='Translate', magnitude_range=(0, 0.3), direction='vertical'),
)


def fixmatch_operations() -> List[dict]:
    return [dict(op) for op in FIXMATCH_OPERATIONS]


@TRANSFORMS.register_module()
class FixMatchRandAugment(RandAugment):
    """RandAugment as FixMatch's strong augmentation uses it.

    Sohn et al., "FixMatch", NeurIPS 2020 (https://arxiv.org/abs/2001.07685),
    section 2.3 and appendix; the operation pool and ranges restated from
    ``dataset/randaugment.py`` (``fixmatch_augment_pool``, ``RandAugmentMC``)
    of github.com/kekmodel/FixMatch-pytorch: per image, ``num_policies``
    operations are drawn (with replacement) from
    :data:`FIXMATCH_OPERATIONS`, each applied with probability 0.5 at a
    magnitude drawn uniformly up to ``magnitude_level``. Follow it with
    ``Cutout`` (half the image side) for FixMatch's strong view.

    Args:
        num_policies (int): Operations per image. Defaults to 2.
        magnitude_level (int): Largest magnitude level. Defaults to 10.
        hparams (dict): Arguments merged into every operation. Defaults to
            grey fill, ``dict(pad_val=128)``.
    """

    def __init__(self,
                 num_policies: int = 2,
                 magnitude_level: int = 10,
                 hparams: dict = dict(pad_val=128)):
        super().__init__(
            policies=fixmatch_operations(),
            num_policies=num_policies,
            magnitude_level=magnitude_level,
            magnitude_std='inf',
            total_level=10,
            hparams=hparams)
