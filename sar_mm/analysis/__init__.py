"""Feature-geometry analysis of segmentation and classification models:
the library behind ``tools/analysis_tools/{feature_geometry,plot_*}.py``."""
from .class_info import ClassInfo, class_info
from .class_vectors import (CLASS_VECTOR_FINDERS, class_vectors,
                            find_class_vectors, maybe_class_vectors,
                            register_class_vectors)
from .features import FeatureSet, build_dataloader, extract_features
from .geometry import Geometry, feature_geometry, simplex_angle
from .model_loading import CheckpointMismatchError, load_model

__all__ = [
    'CLASS_VECTOR_FINDERS', 'CheckpointMismatchError', 'ClassInfo',
    'FeatureSet', 'Geometry', 'build_dataloader', 'class_info',
    'class_vectors', 'extract_features', 'feature_geometry',
    'find_class_vectors', 'load_model', 'maybe_class_vectors',
    'register_class_vectors', 'simplex_angle'
]
