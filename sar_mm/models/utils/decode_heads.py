"""Where an mmseg segmentor keeps its decode heads.

A segmentor has one decode head, or a ``ModuleList`` of cascade stages
(OCRNet); the prediction, and so SAR and the analysis tools, use the last.
"""
from typing import List

from torch import nn


def decode_heads(segmentor: nn.Module) -> List[nn.Module]:
    """The decode heads of a segmentor: one, or each stage of a cascade."""
    head = segmentor.decode_head
    return list(head) if isinstance(head, nn.ModuleList) else [head]


def last_decode_head(segmentor: nn.Module) -> nn.Module:
    """The decode head that makes the prediction: the last of a cascade."""
    return decode_heads(segmentor)[-1]
