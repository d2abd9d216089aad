from .lt_accuracy import LTAccuracy, shot_groups
from .lt_iou_metric import LTIoUMetric
from .metric_key_name import metric_key_name

__all__ = ['LTAccuracy', 'LTIoUMetric', 'metric_key_name', 'shot_groups']
