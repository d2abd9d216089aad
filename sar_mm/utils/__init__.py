from .class_stats import (ClassStats, class_weights, count_class_pixels,
                          load_class_groups, split_groups)
from .errors import UserInputError

__all__ = [
    'ClassStats', 'UserInputError', 'class_weights', 'count_class_pixels',
    'load_class_groups', 'split_groups'
]
