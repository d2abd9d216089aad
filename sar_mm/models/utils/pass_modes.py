from contextlib import contextmanager
from typing import Iterator

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


@contextmanager
def running_stats_frozen(module: nn.Module) -> Iterator[None]:
    """Batch norms of ``module`` normalise with the batch's statistics but
    leave their running statistics (and ``num_batches_tracked``) alone.

    Semi-supervised training forwards unlabelled views (strong photometric
    changes, CutMix) through the student in train mode; without this, their
    statistics would enter the running ones that evaluation uses, which then
    differ from what supervised training on the labelled batch alone sets.
    ``BatchNorm*d`` and ``SyncBatchNorm`` do not track statistics in train
    mode while ``track_running_stats`` is False; the flag is restored on
    exit, also after an error.
    """
    norms = [
        m for m in module.modules()
        if isinstance(m, _BatchNorm) and m.track_running_stats
    ]
    for norm in norms:
        norm.track_running_stats = False
    try:
        yield
    finally:
        for norm in norms:
            norm.track_running_stats = True


@contextmanager
def eval_mode(*modules: nn.Module) -> Iterator[None]:
    """``modules`` in eval mode for one pass (no dropout, running batch-norm
    statistics), each put back in the mode it had on exit, also after an
    error. The dropout-free weak pass of semi-supervised training."""
    modes = [m.training for m in modules]
    for module in modules:
        module.eval()
    try:
        yield
    finally:
        for module, mode in zip(modules, modes):
            module.train(mode)
