from .cifar10_auto_augment import CIFAR10AutoAugment
from .multi_branch import MultiBranch

__all__ = ['CIFAR10AutoAugment', 'MultiBranch']
