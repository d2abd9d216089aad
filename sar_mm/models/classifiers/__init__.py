from .multi_view_classifier import MultiViewImageClassifier

__all__ = ['MultiViewImageClassifier']
