from .balanced_supcon_loss import BalancedSupConLoss
from .logit_adjust_loss import LogitAdjustCELoss
from .rebalanced_supcon_loss import RebalancedSupConLoss
from .semantic_anchor_loss import SemanticAnchorLoss

__all__ = [
    'BalancedSupConLoss', 'LogitAdjustCELoss', 'RebalancedSupConLoss',
    'SemanticAnchorLoss'
]
