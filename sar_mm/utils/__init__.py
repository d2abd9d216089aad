from .checkpoint_fit import CheckpointMismatchError, check_state_dict
from .class_stats import (ClassStats, class_weights, count_class_pixels,
                          load_class_groups, split_groups)
from .errors import UserInputError

__all__ = [
    'CheckpointMismatchError', 'ClassStats', 'UserInputError',
    'check_state_dict', 'class_weights', 'count_class_pixels',
    'load_class_groups', 'split_groups'
]
