from .lt_accuracy import LTAccuracy, shot_groups

__all__ = ['LTAccuracy', 'shot_groups']
