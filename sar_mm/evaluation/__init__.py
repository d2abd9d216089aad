from .metrics import LTIoUMetric, metric_key_name

__all__ = ['LTIoUMetric', 'metric_key_name']
