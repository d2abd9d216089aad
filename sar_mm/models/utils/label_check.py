from typing import Sequence

from torch import Tensor

from ...utils.errors import UserInputError


def check_label_range(labels: Tensor, num_classes: int,
                      ignore_index: Sequence[int] = (255, )) -> None:
    """Raise a clear error for labels that are neither a class nor ignored.

    Out-of-range labels otherwise end as "Target out of bounds" on CPU or a
    device-side assert on CUDA, far from their cause.
    """
    bad = (labels < 0) | (labels >= num_classes)
    for value in ignore_index:
        bad &= labels != value
    if bad.any():
        values = labels[bad].unique().tolist()
        raise UserInputError(
            f'the ground truth holds label value(s) {values[:10]}, which '
            f'are neither a class in [0, {num_classes}) nor an ignore value '
            f'{tuple(ignore_index)}. Check num_classes, reduce_zero_label or '
            f"label_map of the dataset, or the head's ignore_index.")
