from .class_counts import ClassCountsMixin
from .cosine_linear import CosineLinear
from .label_check import check_label_range

__all__ = ['ClassCountsMixin', 'CosineLinear', 'check_label_range']
