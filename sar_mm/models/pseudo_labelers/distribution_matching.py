from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmseg.registry import MODELS as SEG_MODELS
from torch import Tensor

from ..utils.own_generator import own_generator
from .base import (BasePseudoLabeler, check_unit_interval, count_per_class,
                   sum_over_ranks)

SAMPLING = ('random', 'weight', 'none')
#: Mixed into the run's seed for the random sampling's own generator.
_SAMPLING_STREAM = 0xDA25
_DEVICE_CODES = {None: 0, 'cpu': 1, 'cuda': 2}


@SEG_MODELS.register_module()
@PRETRAIN_MODELS.register_module()
class DistributionMatching(BasePseudoLabeler):
    """Per-class thresholds that make the kept pseudo-labels follow the
    labelled class frequencies: DARS's distribution alignment and random
    sampling, online.

    He et al., "Re-distributing Biased Pseudo Labels for Semi-supervised
    Semantic Segmentation: A Baseline Investigation", ICCV 2021
    (https://arxiv.org/abs/2107.11279). Reference read:
    ``tool/gen_pseudo_label_utils.py`` of CVMI-Lab/DARS
    (``get_threshold_and_sampling_ratio``; ``second_forward`` as
    summarised in ``lt_pseudo_labels.md`` section 5.1).

    With ``N`` valid positions and ``pi_c`` the share of class c among the
    labelled ones, class c gets the quota ``T_c = ratio * pi_c * N``. Its
    threshold ``tau_c`` is the largest confidence such that at least
    ``T_c`` positions predicted as c are at least that confident; where
    fewer than ``T_c`` positions are predicted as c at all (DARS's
    "overflow"), ``tau_c = 0`` and all of them are kept. Of the positions
    of class c at or above ``tau_c``, a share ``s_c = min(1, T_c / count)``
    is kept, so ties at the threshold do not overshoot the quota. A head
    class thus loses its least confident positions, and a tail class keeps
    positions a fixed 0.95 would drop.

    What is implemented, and how it differs from the reference:

    - The reference is offline: after each self-training round it runs the
      model over the whole unlabelled set, sorts each predicted class's
      confidences and writes pseudo-label files. Here it is online: the
      confidences are counted per predicted class in a histogram of
      ``num_bins`` equal bins on ``[0, 1]`` (one ``index_add_``; no sort,
      so no per-class loop and no data-dependent sizes), the histogram is
      an EMA over steps (``momentum``; 0 uses the current step only) and
      summed over DDP ranks, and thresholds are read from its cumulative
      sums: ``tau_c`` is the lower edge of the highest bin whose
      cumulative count from the top reaches ``T_c``. With one position per
      bin this is the reference's exact sorted quantile; otherwise
      ``tau_c`` is rounded down to a bin edge and ``s_c`` takes out the
      excess of that bin.
    - The reference drops a random ``1 - s_c`` of the class-c positions
      above ``tau_c`` (``sampling='random'``, the default). ``'weight'``
      keeps them all with loss weight ``s_c`` (deterministic, same
      expected loss); ``'none'`` ignores ``s_c``.
    - Labels stay the argmax: like the reference, this changes which
      positions are kept, not their class. Each step updates the
      histogram with its own batch, then selects.
    - A class without labelled examples (``pi_c = 0``, possible on a
      small split of a long tail) has the quota 0: it is never
      pseudo-labelled (threshold ``inf``), whatever ``sampling``.
    - The reference rounds the quota down to an integer and, on overflow,
      sets the threshold to the class's smallest confidence (keeping all,
      as ``tau_c = 0`` does here); here the quota is not rounded.
    - The reference's ``labeling_ratio`` grows per round (0.4, then 0.65);
      here ``ratio`` is one setting.
    - ``min_threshold`` (not in the reference, which labels with a trained
      round-0 model) is a confidence every kept position must also reach:
      early in online training a rarely predicted class overflows its
      quota and would keep its predictions at any confidence. At
      FixMatch's 0.95 the quota only ever removes pseudo-labels, the least
      confident of the classes predicted beyond their labelled share.

    Args:
        num_classes (int): Number of classes C (from the model).
        class_counts (Sequence[int], optional): Labelled examples per
            class: labelled pixels of each class over valid pixels for
            segmentation, labelled images for classification. Without
            them, :class:`~sar_mm.engine.hooks.ClassCountsHook` gives the
            training dataset's ``metainfo['class_counts']`` (and replaces
            these when the dataset has them).
        ratio (float): The share of the valid positions to keep, spread
            over the classes by the labelled prior, in ``[0, 1]``.
            Defaults to 0.5 (between DARS's 0.4 and 0.65).
        momentum (float): EMA momentum of the histogram, in ``[0, 1]``.
            Defaults to 0.99.
        num_bins (int): Histogram bins on ``[0, 1]``. Defaults to 1000.
        sampling (str): ``'random'``, ``'weight'`` or ``'none'``, see
            above. Defaults to ``'random'``.
        min_threshold (float): The confidence every kept position reaches
            whatever its class's quota, in ``[0, 1]``. Defaults to 0 (the
            reference's rule).
    """

    update_first = True

    def __init__(self,
                 num_classes: int,
                 class_counts: Optional[Sequence[int]] = None,
                 ratio: float = 0.5,
                 momentum: float = 0.99,
                 num_bins: int = 1000,
                 sampling: str = 'random',
                 min_threshold: float = 0.):
        super().__init__(num_classes, class_counts)
        check_unit_interval(
            ratio=ratio, momentum=momentum, min_threshold=min_threshold)
        if not (isinstance(num_bins, int) and not isinstance(num_bins, bool)
                and num_bins >= 1):
            raise ValueError(
                f'num_bins must be an int >= 1, got {num_bins!r}')
        if sampling not in SAMPLING:
            raise ValueError(
                f'sampling must be one of {list(SAMPLING)}, got '
                f'{sampling!r}')
        self.ratio = ratio
        self.momentum = momentum
        self.num_bins = num_bins
        self.sampling = sampling
        self.min_threshold = min_threshold
        self._min_bin = min(int(min_threshold * num_bins), num_bins - 1)
        self.register_buffer(
            'histogram',
            torch.zeros(num_classes, num_bins, dtype=torch.float64))
        # its own generator per device type, seeded from the run's seed
        # when built: the global stream (dropout, augmentation) is left
        # alone; its state is checkpointed
        self._seed = torch.initial_seed()
        self._generators = {}

    def _uniform(self, like: Tensor) -> Tensor:
        """Uniform [0, 1) numbers shaped as ``like``, from this strategy's
        own generator on ``like``'s device."""
        generator = self._generators.get(like.device.type)
        if generator is None:
            generator = own_generator(
                _SAMPLING_STREAM, self._seed, device=like.device)
            self._generators[like.device.type] = generator
        return torch.rand(
            like.shape, generator=generator, device=like.device,
            dtype=like.dtype)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        # the sampling generator's state, read only when saving: a device
        # code (0 none yet, 1 CPU, 2 CUDA), then its bytes
        kind, generator = next(iter(self._generators.items()), (None, None))
        code = torch.tensor([_DEVICE_CODES[kind]], dtype=torch.uint8)
        state = generator.get_state() if generator is not None else \
            code.new_zeros(0)
        destination[prefix + 'sampling_rng_state'] = torch.cat([code, state])

    def _load_from_state_dict(self, state_dict, prefix, local_metadata,
                              strict, missing_keys, unexpected_keys,
                              error_msgs):
        saved = state_dict.pop(prefix + 'sampling_rng_state', None)
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)
        if saved is None:
            if strict:
                missing_keys.append(prefix + 'sampling_rng_state')
            return
        self._generators = {}
        kind = {v: k for k, v in _DEVICE_CODES.items()}[int(saved[0])]
        if kind == 'cuda' and not torch.cuda.is_available():
            return  # a GPU run's checkpoint on a CPU machine: start afresh
        if kind is not None:
            generator = torch.Generator(device=kind)
            generator.set_state(saved[1:].cpu().clone())
            self._generators[kind] = generator

    @property
    def uses_class_counts(self) -> bool:
        return True

    def _bins(self, conf: Tensor) -> Tensor:
        return (conf * self.num_bins).long().clamp(0, self.num_bins - 1)

    def cut(self) -> Tuple[Tensor, Tensor]:
        """The threshold bin ``(C, )`` long of each class (keep positions
        in it and above; ``num_bins``, above every bin, for a quota of 0)
        and the share ``s`` ``(C, )`` float64 of those to keep."""
        quota = self.ratio * self.class_prior() * self.histogram.sum()
        from_top = self.histogram.flip(1).cumsum(1).flip(1)
        # from_top falls with the bin, so the bins reaching the quota are
        # 0 .. cut: counting them finds the cut without a search
        reached = (from_top >= quota[:, None]).sum(1)
        overflow = reached == 0
        # the floor lifts a cut below it, and leaves fewer positions than
        # the quota above the cut: all of them are kept (share 1)
        cut = (reached - 1).clamp(min=self._min_bin)
        # a quota of 0 (a class without labelled examples): the cut lies
        # above the last bin, so nothing is kept
        cut = torch.where(quota > 0, cut, self.num_bins)
        above = F.pad(from_top, (0, 1)).gather(1, cut[:, None])[:, 0]
        share = torch.where(above > 0, quota / above.clamp(min=1e-300), 0.)
        share = torch.where(overflow, 1., share.clamp(max=1))
        return cut, share

    def thresholds(self) -> Tensor:
        cut = self.cut()[0].double() / self.num_bins
        return self.never_unlabelled(
            cut.clamp(min=self.min_threshold).float())

    def _select(self, conf, labels, valid):
        cut, share = self.cut()
        # the exact floor, as the bins round it down
        keep = valid & (self._bins(conf) >= cut[labels]) & \
            (conf >= self.min_threshold)
        share = share.float()[labels]
        if self.sampling == 'random':
            # rand < 1 always: a share of 1 keeps every position
            keep = keep & (self._uniform(conf) < share)
            return keep, keep.float()
        if self.sampling == 'weight':
            keep = keep & (share > 0)
            return keep, keep * share
        return keep, keep.float()

    def _update(self, probs, conf, labels, valid):
        # one (class, bin) cell per position: a histogram per class
        cell = labels * self.num_bins + self._bins(conf)
        hist = count_per_class(cell, valid, self.num_classes * self.num_bins)
        hist = sum_over_ranks(hist).view_as(self.histogram)
        self.histogram.mul_(self.momentum).add_(
            hist, alpha=1 - self.momentum)

    def extra_repr(self) -> str:
        return (f'{super().extra_repr()}, ratio={self.ratio}, '
                f'momentum={self.momentum}, num_bins={self.num_bins}, '
                f'sampling={self.sampling!r}, '
                f'min_threshold={self.min_threshold}')
