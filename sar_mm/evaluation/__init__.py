from .metrics import LTAccuracy, LTIoUMetric, metric_key_name, shot_groups

__all__ = ['LTAccuracy', 'LTIoUMetric', 'metric_key_name', 'shot_groups']
