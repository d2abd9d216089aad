from .long_tail import long_tailed_counts, subsample_long_tailed
from .lt_digit_scenes import LTDigitScenes
from .lt_digits import LTDigits

__all__ = [
    'LTDigits', 'LTDigitScenes', 'long_tailed_counts', 'subsample_long_tailed'
]
