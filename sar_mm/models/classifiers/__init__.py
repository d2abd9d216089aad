from .fixmatch_classifier import FixMatchClassifier
from .multi_view_classifier import MultiViewImageClassifier
from .sar_image_classifier import (SARClassifierMixin, SARImageClassifier,
                                   SARMultiViewImageClassifier)

__all__ = [
    'FixMatchClassifier', 'MultiViewImageClassifier', 'SARClassifierMixin',
    'SARImageClassifier', 'SARMultiViewImageClassifier'
]
