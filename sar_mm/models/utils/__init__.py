from .class_counts import ClassCountsMixin
from .cosine_linear import CosineLinear
from .final_classifier import (capture_input, final_classifier, hard_labels,
                               losses_with_sar)
from .gather_rows import gather_rows
from .label_check import check_label_range, out_of_range
from .sar_builder import build_sar, sar_keys
from .simplex_etf import simplex_etf
from .sinkhorn import sinkhorn

__all__ = [
    'ClassCountsMixin', 'CosineLinear', 'build_sar', 'capture_input',
    'check_label_range', 'final_classifier', 'gather_rows', 'hard_labels',
    'losses_with_sar', 'out_of_range', 'sar_keys', 'simplex_etf', 'sinkhorn'
]
