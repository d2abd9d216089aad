from typing import List, Tuple

import torch
import torch.distributed as dist
from torch import Tensor

from ...utils.host_group import host_process_group


class _GatherRows(torch.autograd.Function):
    """All ranks' rows, concatenated in rank order; the backward pass sums
    every rank's gradient of the gathered tensor and hands each rank the
    rows it contributed, so each input gets the gradient of the sum of all
    ranks' losses (DDP then averages, giving the global-batch gradient)."""

    @staticmethod
    def forward(ctx, tensor: Tensor, sizes: List[int]) -> Tensor:
        rank = dist.get_rank()
        # all_gather needs equal shapes: pad to the largest rank's rows
        padded = tensor
        if tensor.size(0) < max(sizes):
            padded = tensor.new_zeros((max(sizes), *tensor.shape[1:]))
            padded[:tensor.size(0)] = tensor
        chunks = [torch.empty_like(padded) for _ in sizes]
        dist.all_gather(chunks, padded)
        ctx.start = sum(sizes[:rank])
        ctx.rows = sizes[rank]
        return torch.cat([chunk[:n] for chunk, n in zip(chunks, sizes)])

    @staticmethod
    def backward(ctx, grad: Tensor):
        grad = grad.contiguous().clone()
        dist.all_reduce(grad)
        return grad[ctx.start:ctx.start + ctx.rows], None


def gather_rows(*tensors: Tensor) -> Tuple[List[Tensor], int]:
    """Concatenate tensors over all ranks along their first dimension.

    Ranks may hold different numbers of rows (a last, smaller batch). The
    row counts are exchanged on the host (a gloo all-gather of Python
    integers), never read back from the device, so the training step keeps
    the device busy; when every rank holds the same number of rows (the
    usual case) the rows are gathered without a padding copy. Outside
    distributed training the tensors come back unchanged.

    Args:
        *tensors (Tensor): Tensors with the same number of rows on a rank;
            gradients flow back through floating-point ones.

    Returns:
        tuple[list[Tensor], int]: The gathered tensors and the index of this
        rank's first row in them.
    """
    if not (dist.is_available() and dist.is_initialized()) or \
            dist.get_world_size() == 1:
        return list(tensors), 0
    sizes = [0] * dist.get_world_size()
    dist.all_gather_object(
        sizes, tensors[0].size(0), group=host_process_group())
    gathered = [_GatherRows.apply(t.contiguous(), sizes) for t in tensors]
    return gathered, sum(sizes[:dist.get_rank()])
