from .data_check_hook import DataCheckHook, classifier_heads
from .gh_schedule_hook import GHScheduleHook
from .rng_state_hook import RNGStateHook

__all__ = [
    'DataCheckHook', 'GHScheduleHook', 'RNGStateHook', 'classifier_heads'
]
