from .label_check import check_label_range
from .simplex_etf import simplex_etf
from .sinkhorn import sinkhorn

__all__ = ['check_label_range', 'simplex_etf', 'sinkhorn']
