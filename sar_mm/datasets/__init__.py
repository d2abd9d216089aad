from . import samplers, transforms  # noqa: F401
from .cifar_lt import CIFAR10LT, CIFAR100LT
from .imagenet_lt import ImageNetLT
from .long_tail import long_tailed_counts, subsample_long_tailed
from .lt_digit_scenes import LTDigitScenes
from .lt_digits import LTDigits
from .lt_image_list import LTImageList

__all__ = [
    'CIFAR10LT', 'CIFAR100LT', 'ImageNetLT', 'LTDigits', 'LTDigitScenes',
    'LTImageList', 'long_tailed_counts', 'subsample_long_tailed'
]
