from .class_counts_hook import ClassCountsHook, dataset_class_counts
from .num_classes_check_hook import NumClassesCheckHook

__all__ = ['ClassCountsHook', 'NumClassesCheckHook', 'dataset_class_counts']
