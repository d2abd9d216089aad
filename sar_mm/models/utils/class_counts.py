from typing import Sequence

import torch
from torch import Tensor

from ...utils.class_stats import STRATIFIED_FIX
from ...utils.errors import UserInputError


class ClassCountsMixin:
    """For modules that need the training-set class frequencies.

    Logit adjustment and the re-balanced contrastive loss weight classes by
    how often they occur in the *training* set. Nobody copies count lists
    into configs: :class:`~sar_mm.engine.hooks.ClassCountsHook` hands the
    training dataset's ``metainfo['class_counts']`` (which every sar_mm
    long-tailed dataset carries) to every module with this mixin before
    training, through :meth:`set_class_counts`.

    The counts live in a persistent buffer, ``class_counts``, so they are
    saved with checkpoints and come back with ``load_from``/``--resume``
    and ``tools/test.py`` (e.g. for post-hoc adjustment at test time). The
    buffer is empty until set; its size follows the state dict on loading.

    Call :meth:`init_class_counts` in ``__init__`` after
    ``nn.Module.__init__``.
    """

    class_counts: Tensor

    #: Whether a class may have a count of 0 (the module defines what such
    #: a class gets); at least 2 classes must still have a positive count.
    allows_zero_counts = False

    def init_class_counts(self) -> None:
        self.register_buffer('class_counts', torch.zeros(0))

    @property
    def needs_class_counts(self) -> bool:
        """Whether the module uses the counts with its current settings."""
        return True

    @property
    def has_class_counts(self) -> bool:
        return self.class_counts.numel() > 0

    def set_class_counts(self, counts: Sequence[int]) -> None:
        """Store per-class training counts: all positive, or with
        :attr:`allows_zero_counts` none negative and at least 2 positive.
        """
        counts = torch.as_tensor(counts, dtype=torch.float32)
        positive = counts > 0
        if self.allows_zero_counts:
            need = ('a training count >= 0 per class, at least 2 of them '
                    'positive')
            ok = (counts >= 0).all() and positive.sum() >= 2
        else:
            need = 'one positive training count per class (at least 2 ' \
                'classes)'
            ok = positive.all() and positive.sum() >= 2
        if counts.dim() != 1 or not ok:
            zero = (counts == 0).nonzero().flatten().tolist() \
                if counts.dim() == 1 else []
            fix = (f' Class(es) {zero} have no labelled training sample; '
                   f'for a semi-supervised split, {STRATIFIED_FIX}; else '
                   f'train on a set that holds every class.' if zero else '')
            raise UserInputError(f'{type(self).__name__} needs {need}, got '
                                 f'{counts.tolist()}.{fix}')
        self.class_counts = counts.to(self.class_counts.device)

    def missing_counts_fix(self) -> str:
        """How the user gives the counts, for the message when none were
        set."""
        return ("Add dict(type='ClassCountsHook') to custom_hooks (the "
                'sar_mm long-tailed dataset configs do) so that it reads '
                'them from the training dataset, or call set_class_counts().')

    def checked_class_counts(self, num_classes: int) -> Tensor:
        """The counts, after checking they were set, one per class.

        Raises:
            UserInputError: When the counts were never set, or are for a
                different number of classes.
        """
        name = type(self).__name__
        if not self.has_class_counts:
            raise UserInputError(
                f'{name} has no class counts. {self.missing_counts_fix()}')
        if len(self.class_counts) != num_classes:
            raise UserInputError(
                f'{name} holds counts for {len(self.class_counts)} classes '
                f'but the classifier has {num_classes}')
        return self.class_counts

    def log_class_prior(self, num_classes: int) -> Tensor:
        """``log pi_c`` with ``pi_c = n_c / sum_k n_k``, as a (C, ) tensor.

        Raises:
            UserInputError: As :meth:`checked_class_counts`.
        """
        counts = self.checked_class_counts(num_classes)
        return (counts / counts.sum()).log()

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # The buffer is sized by the counts it holds: take the checkpoint's
        # size before the regular (shape-checked) copy.
        saved = state_dict.get(prefix + 'class_counts')
        if saved is not None and saved.shape != self.class_counts.shape:
            self.class_counts = self.class_counts.new_zeros(saved.shape)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
