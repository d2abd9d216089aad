from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


@torch.no_grad()
def make_pseudo_labels(logits: Tensor) -> Tuple[Tensor, Tensor]:
    """Hard pseudo-labels and their confidence, without gradient.

    FixMatch (Sohn et al., NeurIPS 2020, https://arxiv.org/abs/2001.07685):
    the argmax class of the weak view's prediction, no sharpening; the
    confidence is its softmax probability (computed in fp32, so fp16
    logits under AMP compare to thresholds such as 0.95 exactly).

    Args:
        logits (Tensor): (N, C, ...) class scores of the weak view.

    Returns:
        tuple[Tensor, Tensor]: Labels (N, ...) and confidence (N, ...).
    """
    confidence, labels = logits.detach().float().softmax(dim=1).max(dim=1)
    return labels, confidence


def pseudo_label_loss(logits: Tensor,
                      labels: Tensor,
                      confidence: Tensor,
                      threshold: float,
                      valid: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    """Cross-entropy to the confident pseudo-labels, with FixMatch's
    normaliser.

    The sum of the per-element cross-entropy over elements whose confidence
    is at least ``threshold`` (and that are valid), divided by the number of
    *valid* elements, not of the confident ones: the weight of the term
    grows as the model grows confident. That is FixMatch's
    (google-research/fixmatch ``fixmatch.py``: the mean over the whole
    unlabelled batch) and UniMatch's (LiheYoung/UniMatch ``fixmatch.py``:
    the sum over confident non-padded pixels over the non-padded count).

    Args:
        logits (Tensor): (N, C, ...) class scores of the strong view.
        labels (Tensor): (N, ...) pseudo-labels.
        confidence (Tensor): (N, ...) their confidence.
        threshold (float): The least confidence that gives a loss.
        valid (Tensor, optional): (N, ...) bool, False where there is
            nothing to learn (e.g. crop padding). Defaults to all valid.

    Returns:
        tuple[Tensor, Tensor]: The loss, and the share of valid elements
        that were confident (``mask_ratio``, detached, for the log).
    """
    confident = confidence >= threshold
    if valid is not None:
        confident = confident & valid
        count = valid.sum().clamp(min=1)
    else:
        count = labels.numel()
    ce = F.cross_entropy(logits.float(), labels, reduction='none')
    loss = (ce * confident).sum() / count
    return loss, (confident.sum() / count).detach()
