from .cifar10_auto_augment import CIFAR10AutoAugment
from .fixmatch_rand_augment import FixMatchRandAugment
from .load_empty_seg_map import LoadEmptySegMap
from .multi_branch import MultiBranch
from .random_cutmix_box import RandomCutMixBox
from .random_resize_by_ratio import RandomResizeByRatio

__all__ = [
    'CIFAR10AutoAugment', 'FixMatchRandAugment', 'LoadEmptySegMap',
    'MultiBranch', 'RandomCutMixBox', 'RandomResizeByRatio'
]
