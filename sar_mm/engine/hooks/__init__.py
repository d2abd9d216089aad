from .checkpoint_fit_hook import CheckpointFitHook
from .class_counts_hook import (ClassCountsHook, config_train_class_counts,
                                dataset_class_counts)
from .data_check_hook import DataCheckHook, classifier_heads
from .gh_schedule_hook import GHScheduleHook
from .mean_teacher_hook import MeanTeacherHook
from .rng_state_hook import RNGStateHook

__all__ = [
    'CheckpointFitHook', 'ClassCountsHook', 'DataCheckHook',
    'GHScheduleHook', 'MeanTeacherHook', 'RNGStateHook', 'classifier_heads',
    'config_train_class_counts', 'dataset_class_counts'
]
