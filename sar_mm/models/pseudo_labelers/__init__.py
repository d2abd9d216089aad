from .adaptive_equalization import AdaptiveEqualization
from .base import BasePseudoLabeler, PseudoLabels
from .builder import (build_pseudo_labeler, pseudo_labeler_keys,
                      registered_pseudo_labelers)
from .distribution_matching import DistributionMatching
from .fixed_threshold import FixedThreshold
from .flexmatch_threshold import FlexMatchThreshold
from .freematch_threshold import FreeMatchThreshold

__all__ = [
    'AdaptiveEqualization', 'BasePseudoLabeler', 'DistributionMatching',
    'FixedThreshold', 'FlexMatchThreshold', 'FreeMatchThreshold',
    'PseudoLabels',
    'build_pseudo_labeler', 'pseudo_labeler_keys',
    'registered_pseudo_labelers'
]
