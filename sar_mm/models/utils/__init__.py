from .label_check import check_label_range

__all__ = ['check_label_range']
