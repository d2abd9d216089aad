from .balanced_supcon_loss import BalancedSupConLoss
from .class_balanced_cross_entropy_loss import ClassBalancedCrossEntropyLoss
from .logit_adjust_loss import LogitAdjustCELoss
from .rebalanced_supcon_loss import RebalancedSupConLoss
from .semantic_anchor_loss import SemanticAnchorLoss

__all__ = [
    'BalancedSupConLoss', 'ClassBalancedCrossEntropyLoss', 'LogitAdjustCELoss',
    'RebalancedSupConLoss', 'SemanticAnchorLoss'
]
