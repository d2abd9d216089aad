from .data_check_hook import DataCheckHook, classifier_heads
from .rng_state_hook import RNGStateHook

__all__ = ['DataCheckHook', 'RNGStateHook', 'classifier_heads']
