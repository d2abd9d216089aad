from .semantic_anchor_loss import SemanticAnchorLoss

__all__ = ['SemanticAnchorLoss']
