from .class_counts import ClassCountsMixin
from .cosine_linear import CosineLinear
from .gather_rows import gather_rows
from .label_check import check_label_range
from .simplex_etf import simplex_etf
from .sinkhorn import sinkhorn

__all__ = [
    'ClassCountsMixin', 'CosineLinear', 'check_label_range', 'gather_rows',
    'simplex_etf', 'sinkhorn'
]
