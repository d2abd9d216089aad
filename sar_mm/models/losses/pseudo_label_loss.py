from typing import Optional, Tuple

import torch.nn.functional as F
from torch import Tensor


def pseudo_label_loss(logits: Tensor,
                      labels: Tensor,
                      weight: Tensor,
                      valid: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    """Weighted cross-entropy to pseudo-labels, with FixMatch's normaliser.

    The sum of the per-element cross-entropy times its weight (1 for the
    pseudo-labels a strategy keeps, 0 for the others, or a soft weight),
    divided by the number of *valid* elements, not of the kept ones: the
    weight of the term grows as the model grows confident. That is
    FixMatch's (google-research/fixmatch ``fixmatch.py``: the mean over the
    whole unlabelled batch) and UniMatch's (LiheYoung/UniMatch
    ``fixmatch.py``: the sum over confident non-padded pixels over the
    non-padded count).

    Args:
        logits (Tensor): (N, C, ...) class scores of the strong view.
        labels (Tensor): (N, ...) pseudo-labels.
        weight (Tensor): (N, ...) loss weight of each element, 0 where it is
            not kept (see :mod:`sar_mm.models.pseudo_labelers`).
        valid (Tensor, optional): (N, ...) bool, False where there is
            nothing to learn (e.g. crop padding). Defaults to all valid.

    Returns:
        tuple[Tensor, Tensor]: The loss, and the share of valid elements
        with a weight (``mask_ratio``, detached, for the log).
    """
    kept = weight > 0
    if valid is not None:
        kept = kept & valid
        count = valid.sum().clamp(min=1)
    else:
        count = labels.numel()
    ce = F.cross_entropy(logits.float(), labels, reduction='none')
    loss = (ce * weight * kept).sum() / count
    return loss, (kept.sum() / count).detach()
