from .cifar10_auto_augment import CIFAR10AutoAugment
from .fixmatch_rand_augment import FixMatchRandAugment
from .multi_branch import MultiBranch

__all__ = ['CIFAR10AutoAugment', 'FixMatchRandAugment', 'MultiBranch']
