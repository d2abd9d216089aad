import re


def metric_key_name(class_name: str) -> str:
    """A class name as it appears in metric keys: characters other than
    letters, digits, ``_``, ``.`` and ``-`` become ``_`` (TensorBoard
    rejects them in tags), e.g. ``'traffic light'`` -> ``'traffic_light'``.

    Every per-class key of sar_mm's metrics (``IoU.<class>`` of
    :class:`LTIoUMetric`, ``accuracy/per_class/<class>`` of
    :class:`LTAccuracy`) is named this way.
    """
    return re.sub(r'[^\w.\-]', '_', str(class_name))
