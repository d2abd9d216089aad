from .checkpoint_fit import CheckpointMismatchError, check_state_dict
from .class_groups import split_groups
from .class_stats import ClassStats, count_class_pixels, load_class_groups
from .errors import UserInputError

__all__ = [
    'CheckpointMismatchError', 'ClassStats', 'UserInputError',
    'check_state_dict', 'count_class_pixels', 'load_class_groups',
    'split_groups'
]
