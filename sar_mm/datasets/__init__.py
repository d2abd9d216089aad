from . import samplers, transforms  # noqa: F401
from .cifar_lt import CIFAR10LT, CIFAR100LT
from .imagenet_lt import ImageNetLT
from .long_tail import long_tailed_counts, subsample_long_tailed
from .lt_digit_scenes import LTDigitScenes
from .lt_digits import LTDigits
from .lt_image_list import LTImageList
from .per_class_split_dataset import (PerClassSplitConcatDataset,
                                      PerClassSplitDataset)
from .semi_split_dataset import (SemiSplitDataset, check_branch_fields,
                                 check_disjoint_splits)

__all__ = [
    'CIFAR10LT', 'CIFAR100LT', 'ImageNetLT', 'LTDigits', 'LTDigitScenes',
    'LTImageList', 'PerClassSplitConcatDataset', 'PerClassSplitDataset',
    'SemiSplitDataset', 'check_branch_fields', 'check_disjoint_splits',
    'long_tailed_counts', 'subsample_long_tailed'
]
