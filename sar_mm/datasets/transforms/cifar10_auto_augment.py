from typing import List

from mmpretrain.datasets.transforms import AutoAugment
from mmpretrain.registry import TRANSFORMS

# The 25 CIFAR-10 sub-policies of AutoAugment (Cubuk et al., "AutoAugment:
# Learning Augmentation Policies from Data", CVPR 2019, appendix), as
# (operation, probability, magnitude level 0..9) pairs.
CIFAR10_SUB_POLICIES = (
    (('Invert', 0.1, 7), ('Contrast', 0.2, 6)),
    (('Rotate', 0.7, 2), ('TranslateX', 0.3, 9)),
    (('Sharpness', 0.8, 1), ('Sharpness', 0.9, 3)),
    (('ShearY', 0.5, 8), ('TranslateY', 0.7, 9)),
    (('AutoContrast', 0.5, 8), ('Equalize', 0.9, 2)),
    (('ShearY', 0.2, 7), ('Posterize', 0.3, 7)),
    (('Color', 0.4, 3), ('Brightness', 0.6, 7)),
    (('Sharpness', 0.3, 9), ('Brightness', 0.7, 9)),
    (('Equalize', 0.6, 5), ('Equalize', 0.5, 1)),
    (('Contrast', 0.6, 7), ('Sharpness', 0.6, 5)),
    (('Color', 0.7, 7), ('TranslateX', 0.5, 8)),
    (('Equalize', 0.3, 7), ('AutoContrast', 0.4, 8)),
    (('TranslateY', 0.4, 3), ('Sharpness', 0.2, 6)),
    (('Brightness', 0.9, 6), ('Color', 0.2, 8)),
    (('Solarize', 0.5, 2), ('Invert', 0.0, 3)),
    (('Equalize', 0.2, 0), ('AutoContrast', 0.6, 0)),
    (('Equalize', 0.2, 8), ('Equalize', 0.6, 4)),
    (('Color', 0.9, 9), ('Equalize', 0.6, 6)),
    (('AutoContrast', 0.8, 4), ('Solarize', 0.2, 8)),
    (('Brightness', 0.1, 3), ('Color', 0.7, 0)),
    (('Solarize', 0.4, 5), ('AutoContrast', 0.9, 3)),
    (('TranslateY', 0.9, 9), ('TranslateY', 0.7, 9)),
    (('AutoContrast', 0.9, 2), ('Solarize', 0.8, 3)),
    (('Equalize', 0.8, 8), ('Invert', 0.1, 3)),
    (('TranslateY', 0.7, 9), ('AutoContrast', 0.9, 1)),
)


def _transform(name: str, prob: float, level: int) -> dict:
    """mmpretrain transform of one operation at magnitude level 0..9, with
    the usual ranges: shear 0.3, translation 150/331 of the side, rotation
    30 deg, colour/contrast/sharpness/brightness factor 1 +- 0.9,
    posterize 8..4 bits, solarize threshold 256..0."""
    frac = level / 9
    if name in ('ShearX', 'ShearY', 'TranslateX', 'TranslateY'):
        direction = 'horizontal' if name.endswith('X') else 'vertical'
        if name.startswith('Shear'):
            return dict(type='Shear', magnitude=0.3 * frac,
                        direction=direction, prob=prob)
        return dict(type='Translate', magnitude=150 / 331 * frac,
                    direction=direction, prob=prob)
    if name == 'Rotate':
        return dict(type='Rotate', angle=30 * frac, prob=prob)
    if name in ('Color', 'Contrast', 'Sharpness', 'Brightness'):
        op = 'ColorTransform' if name == 'Color' else name
        return dict(type=op, magnitude=0.9 * frac, prob=prob)
    if name == 'Posterize':
        return dict(type='Posterize', bits=round(8 - 4 * frac), prob=prob)
    if name == 'Solarize':
        return dict(type='Solarize', thr=256 * (1 - frac), prob=prob)
    return dict(type=name, prob=prob)  # AutoContrast, Equalize, Invert


def cifar10_policies() -> List[List[dict]]:
    """The CIFAR-10 policy as mmpretrain ``AutoAugment`` policies."""
    return [[_transform(*op) for op in sub] for sub in CIFAR10_SUB_POLICIES]


@TRANSFORMS.register_module()
class CIFAR10AutoAugment(AutoAugment):
    """AutoAugment with the learned CIFAR-10 policy (mmpretrain ships the
    ImageNet one only).

    The classification-view augmentation of the CIFAR-LT recipes (BCL's
    CIFAR pipeline as released in ``ProCo_cifar/main.py`` of
    github.com/LeapLabTHU/ProCo). Each call applies one of the 25
    sub-policies of :data:`CIFAR10_SUB_POLICIES`, picked at random; signed
    magnitudes are negated with probability 0.5.

    Args:
        hparams (dict): Arguments merged into every operation. Defaults to
            grey fill, ``dict(pad_val=128)``, as the reference.
    """

    def __init__(self, hparams: dict = dict(pad_val=128)):
        super().__init__(policies=cifar10_policies(), hparams=hparams)
