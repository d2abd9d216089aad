from .class_balanced_cross_entropy_loss import ClassBalancedCrossEntropyLoss
from .gh_loss import GHLoss
from .semantic_anchor_loss import SemanticAnchorLoss

__all__ = ['ClassBalancedCrossEntropyLoss', 'GHLoss', 'SemanticAnchorLoss']
