from .class_groups import split_groups
from .class_stats import ClassStats, count_class_pixels, load_class_groups
from .errors import UserInputError

__all__ = [
    'ClassStats', 'UserInputError', 'count_class_pixels', 'load_class_groups',
    'split_groups'
]
