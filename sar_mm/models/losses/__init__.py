from .balanced_supcon_loss import BalancedSupConLoss
from .class_balanced_cross_entropy_loss import ClassBalancedCrossEntropyLoss
from .class_weights import check_weighting, class_weights, stats_class_weights
from .gh_loss import GHLoss
from .logit_adjust_loss import LogitAdjustCELoss
from .pseudo_label_loss import pseudo_label_loss
from .rebalanced_supcon_loss import RebalancedSupConLoss

__all__ = [
    'BalancedSupConLoss', 'ClassBalancedCrossEntropyLoss', 'GHLoss',
    'LogitAdjustCELoss', 'RebalancedSupConLoss', 'check_weighting',
    'class_weights', 'pseudo_label_loss', 'stats_class_weights'
]
