"""Semantic Anchor Regularization: the task-agnostic core, the one builder
every adapter uses, and what the adapters capture from segmentation and
classification heads."""
from .builder import build_sar, sar_keys
from .cls_capture import (capture_input, final_classifier, hard_labels,
                          losses_with_sar)
from .semantic_anchor_loss import SemanticAnchorLoss, sar_generator
from .seg_capture import (PIXEL_HEADS, anchor_classifier, build_head_sar,
                          capture_classifier_input, check_pixel_classifier,
                          pool_pseudo_labels)

__all__ = [
    'PIXEL_HEADS', 'SemanticAnchorLoss', 'anchor_classifier',
    'build_head_sar', 'build_sar', 'capture_classifier_input',
    'capture_input', 'check_pixel_classifier', 'final_classifier',
    'hard_labels', 'losses_with_sar', 'pool_pseudo_labels', 'sar_generator',
    'sar_keys'
]
