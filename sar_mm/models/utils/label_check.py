from typing import Optional, Sequence

from torch import Tensor

from ...utils.errors import UserInputError


def out_of_range(labels: Tensor,
                 num_classes: int,
                 ignore_index: Sequence[int] = (255, )) -> Tensor:
    """Mask of the labels that are neither a class in ``[0, num_classes)``
    nor an ignore value."""
    bad = (labels < 0) | (labels >= num_classes)
    for value in ignore_index:
        bad &= labels != value
    return bad


def check_label_range(labels: Tensor,
                      num_classes: int,
                      ignore_index: Sequence[int] = (255, ),
                      source: Optional[str] = None) -> None:
    """Raise a clear error for labels that are neither a class nor ignored.

    Out-of-range labels otherwise end as "Target out of bounds" on CPU or a
    device-side assert on CUDA, far from their cause. It reads the labels
    back to the host: call it on the CPU batch, as
    :class:`~sar_mm.engine.hooks.DataCheckHook` does, never inside the
    training step on the device.
    """
    bad = out_of_range(labels, num_classes, ignore_index)
    if bad.any():
        values = labels[bad].unique().tolist()
        where = f' of {source}' if source else ''
        ignored = (f' nor an ignore value {tuple(ignore_index)}'
                   if ignore_index else '')
        raise UserInputError(
            f'the ground truth{where} holds label value(s) {values[:10]}, '
            f'which are neither a class in [0, {num_classes}){ignored}. '
            f'Check num_classes, reduce_zero_label or label_map of the '
            f"dataset, or the head's ignore_index.")
