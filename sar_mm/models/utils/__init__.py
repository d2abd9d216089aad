from .class_counts import ClassCountsMixin
from .cosine_linear import CosineLinear
from .decode_heads import decode_heads, last_decode_head
from .gather_rows import gather_rows
from .label_check import check_label_range, out_of_range
from .own_generator import own_generator
from .pass_modes import eval_mode, running_stats_frozen
from .simplex_etf import simplex_etf
from .sinkhorn import sinkhorn
from .unsup_ramp import check_ramp, unsup_ramp

__all__ = [
    'ClassCountsMixin', 'CosineLinear', 'check_label_range', 'check_ramp',
    'decode_heads', 'eval_mode', 'gather_rows', 'last_decode_head',
    'out_of_range', 'own_generator', 'running_stats_frozen', 'simplex_etf',
    'sinkhorn', 'unsup_ramp'
]
