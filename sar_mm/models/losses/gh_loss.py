from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import all_reduce, get_world_size
from mmpretrain.registry import MODELS
from torch import Tensor

from ...utils.errors import UserInputError
from ..utils.simplex_etf import simplex_etf
from ..utils.sinkhorn import sinkhorn


@MODELS.register_module()
class GHLoss(nn.Module):
    """Geometric Harmonization (GH) for long-tailed self-supervised learning.

    Zhou et al., "Combating Representation Learning Disparity with Geometric
    Harmonization", NeurIPS 2023 (https://arxiv.org/abs/2310.17622).
    Restated from ``GHLoss``/``sinkhorn`` in ``utils.py`` and the training
    loop of ``train_cifar.py`` of
    github.com/MediaBrain-SJTU/Geometric-Harmonization.

    With the projections ``z1``, ``z2`` (N x d) of two views of a batch:

    1. Geometric logits ``t = normalize(z @ M^T)`` against a fixed simplex
       ETF ``M`` of K surrogate classes (:func:`simplex_etf`, a buffer).
    2. Surrogate labels ``q1``, ``q2``: Sinkhorn (:func:`sinkhorn`, no
       gradient) on ``t1``, ``t2`` with entropic regularisation ``eps``,
       the class marginal set to the estimated prior ``pi`` and a uniform
       sample marginal, so the batch is spread over the K vertices in
       proportion to ``pi``.
    3. Swapped prediction: ``-mean_i <q1_i, log_softmax(t2_i / gamma)>
       - mean_i <q2_i, log_softmax(t1_i / gamma)>`` (the two directions are
       summed, as in the reference).

    The prior is estimated from a per-sample running mean of ``t1``,
    indexed by the dataset's sample index: on its first visit a sample's
    row takes ``t1``, later ``s <- ema_decay * s + (1 - ema_decay) * t1``.
    :meth:`refresh_prior` sets ``pi_k`` proportional to the number of
    samples whose row peaks at vertex k (plus ``prior_floor``).
    :class:`~sar_mm.engine.hooks.GHScheduleHook` drives it all: it sizes the
    table from the training set, sets :attr:`ramp` (0 during warm-up, then
    a linear ramp to 1) and :attr:`ema_decay` every epoch, merges the tables
    of DDP ranks and refreshes the prior on schedule. The returned loss is
    ``loss_weight * ramp * L_GH``; with ``ramp == 0`` no Sinkhorn runs.

    Differences from the reference: the per-sample table is zero-initialised
    (the reference allocates it uninitialised) and rows never visited are
    left out of the prior; the frame is generated from ``etf_seed`` in code
    (and saved in checkpoints) instead of being loaded from a ``.npy``;
    Sinkhorn works in the log domain in float32 and stops once the
    marginals are met (``sinkhorn_tol``), instead of always running 300
    iterations in the linear domain; under DDP each rank updates the rows of
    its own samples and the ranks' tables are merged once per epoch (the
    reference's ImageNet script all-reduces a per-epoch table too).

    State: the frame ``etf``, the prior ``prior``, the table ``ema_logits``
    and its visited mask ``ema_seen`` are buffers, and :attr:`ramp` and
    :attr:`ema_decay` are saved as extra state, so checkpoints carry
    everything a resumed run needs.

    Args:
        num_classes (int): Number of surrogate classes K (the reference
            uses 100). Must not exceed ``feat_dim + 1``.
        feat_dim (int): Channels d of the projections.
        loss_weight (float): Weight of the loss once ramped up.
            Defaults to 1.0.
        gamma (float): Temperature of the predictions. Defaults to 0.1.
        eps (float): Sinkhorn entropic regularisation. Defaults to 0.05.
        sinkhorn_iters (int): Most Sinkhorn iterations. Defaults to 300.
        sinkhorn_tol (float): Sinkhorn stops when every class marginal is
            within this of the prior; 0 always runs ``sinkhorn_iters``
            (the reference's behaviour). Defaults to 1e-5.
        prior_floor (float): Count added to every surrogate class before
            normalising the prior: 0 on CIFAR, 100 on ImageNet-LT and
            Places-LT in the reference. Defaults to 0.
        num_samples (int, optional): Rows of the per-sample table, i.e. the
            size of the training set. Defaults to None: sized by
            ``GHScheduleHook`` before training.
        etf_seed (int): Seed of the frame. Defaults to 0.
    """

    def __init__(self,
                 num_classes: int,
                 feat_dim: int,
                 loss_weight: float = 1.0,
                 gamma: float = 0.1,
                 eps: float = 0.05,
                 sinkhorn_iters: int = 300,
                 sinkhorn_tol: float = 1e-5,
                 prior_floor: float = 0.0,
                 num_samples: Optional[int] = None,
                 etf_seed: int = 0):
        super().__init__()
        for name, value in (('gamma', gamma), ('eps', eps)):
            if value <= 0:
                raise UserInputError(f'GHLoss.{name} must be > 0, got {value}')
        if prior_floor < 0:
            raise UserInputError(
                f'GHLoss.prior_floor must be >= 0, got {prior_floor}')
        self.num_classes = num_classes
        self.feat_dim = feat_dim
        self.loss_weight = loss_weight
        self.gamma = gamma
        self.eps = eps
        self.sinkhorn_iters = sinkhorn_iters
        self.sinkhorn_tol = sinkhorn_tol
        self.prior_floor = prior_floor
        self.etf_seed = etf_seed
        # Defaults for use without GHScheduleHook: GH at full weight.
        self.ramp = 1.0
        self.ema_decay = 0.9

        self.register_buffer('etf',
                             simplex_etf(num_classes, feat_dim, etf_seed))
        self.register_buffer('prior',
                             torch.full((num_classes, ), 1.0 / num_classes))
        self.register_buffer('ema_logits', torch.zeros(0, num_classes))
        self.register_buffer('ema_seen', torch.zeros(0, dtype=torch.bool))
        # rows this rank updated since the last merge (not checkpointed:
        # the merge runs before every end-of-epoch checkpoint)
        self.register_buffer(
            'ema_touched', torch.zeros(0, dtype=torch.bool), persistent=False)
        if num_samples is not None:
            self.resize_table(num_samples)

    @property
    def num_samples(self) -> int:
        """Rows of the per-sample table (0 until sized)."""
        return self.ema_logits.shape[0]

    def resize_table(self, num_samples: int) -> None:
        """Allocate a zeroed per-sample table of ``num_samples`` rows."""
        device = self.ema_logits.device
        self.ema_logits = torch.zeros(
            num_samples, self.num_classes, device=device)
        self.ema_seen = torch.zeros(
            num_samples, dtype=torch.bool, device=device)
        self.ema_touched = torch.zeros_like(self.ema_seen)

    def geometric_logits(self, z: Tensor) -> Tensor:
        """Cosine-normalised scores of the projections against the frame."""
        if z.dim() != 2 or z.shape[1] != self.feat_dim:
            raise UserInputError(
                f'GHLoss.feat_dim is {self.feat_dim} but the projections '
                f'have shape {tuple(z.shape)}; set gh_loss.feat_dim to the '
                f"projector's output channels")
        return F.normalize(z.float() @ self.etf.t(), dim=1)

    def forward(self, z1: Tensor, z2: Tensor,
                sample_idx: Union[Sequence[int], Tensor]) -> Tensor:
        """GH loss of two views; in training mode also updates the table.

        Args:
            z1 (Tensor): Projections of the first views, ``(N, d)``.
            z2 (Tensor): Projections of the second views, ``(N, d)``.
            sample_idx (Sequence[int] | Tensor): Dataset index of each
                sample, ``(N,)``: host values, as the data samples' metainfo
                holds them (a CPU tensor also works).

        Returns:
            Tensor: The weighted loss, a scalar (0 while ``ramp`` is 0).
        """
        # fp32 throughout: with gamma = 0.1 the logits reach 10 and the
        # Sinkhorn exponents 20, too much for reduced precision.
        with torch.autocast(device_type=z1.device.type, enabled=False):
            t1 = self.geometric_logits(z1)
            t2 = self.geometric_logits(z2)
            if self.training:
                self.update_table(t1.detach(), sample_idx)
            if self.ramp == 0:
                return t1.new_zeros(())
            q1, q2 = sinkhorn(
                torch.stack([t1, t2]).detach(), self.prior, self.eps,
                self.sinkhorn_iters, self.sinkhorn_tol)
            loss = -(q1 * F.log_softmax(t2 / self.gamma, dim=1)).sum(1).mean()
            loss -= (q2 * F.log_softmax(t1 / self.gamma, dim=1)).sum(1).mean()
        return self.loss_weight * self.ramp * loss

    @torch.no_grad()
    def update_table(self, logits: Tensor,
                     sample_idx: Union[Sequence[int], Tensor]) -> None:
        """Fold geometric logits into the rows of their samples."""
        if self.num_samples == 0:
            raise UserInputError(
                'GHLoss has no per-sample table yet: add '
                "dict(type='GHScheduleHook', ...) to custom_hooks (it sizes "
                'the table from the training set), or pass num_samples')
        if isinstance(sample_idx, Tensor):
            sample_idx = sample_idx.tolist()
        if sample_idx and (min(sample_idx) < 0
                           or max(sample_idx) >= self.num_samples):
            raise UserInputError(
                f'sample_idx {min(sample_idx)}..{max(sample_idx)} is outside '
                f'the GH table of {self.num_samples} rows; the indices must '
                f'be those of the training dataset (its metainfo sample_idx)')
        # asynchronous: a blocking copy would wait for the device
        sample_idx = torch.as_tensor(sample_idx, dtype=torch.long).to(
            self.ema_logits.device, non_blocking=True)
        seen = self.ema_seen[sample_idx].unsqueeze(1)
        running = self.ema_decay * self.ema_logits[sample_idx] + (
            1 - self.ema_decay) * logits
        self.ema_logits[sample_idx] = torch.where(seen, running, logits)
        self.ema_seen[sample_idx] = True
        self.ema_touched[sample_idx] = True

    @torch.no_grad()
    def sync_table(self) -> None:
        """Merge the tables of all DDP ranks (a no-op in one process).

        Every rank starts an epoch with the same table and updates only the
        rows of the samples it drew; a row takes the value of the rank that
        updated it (their mean if several did, as the distributed sampler's
        padding may repeat a sample).
        """
        if get_world_size() > 1:
            count = self.ema_touched.float()
            total = self.ema_logits * count.unsqueeze(1)
            all_reduce(count)
            all_reduce(total)
            merged = count > 0
            self.ema_logits[merged] = total[merged] / count[merged, None]
            self.ema_seen |= merged
        self.ema_touched.zero_()

    @torch.no_grad()
    def refresh_prior(self) -> None:
        """Re-estimate the surrogate-class prior from the table."""
        labels = self.ema_logits[self.ema_seen].argmax(dim=1)
        counts = torch.bincount(labels, minlength=self.num_classes).float()
        counts += self.prior_floor
        if counts.sum() > 0:
            self.prior.copy_(counts / counts.sum())

    def get_extra_state(self) -> dict:
        return dict(ramp=self.ramp, ema_decay=self.ema_decay)

    def set_extra_state(self, state: dict) -> None:
        self.ramp = state['ramp']
        self.ema_decay = state['ema_decay']

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # A module built outside a runner has no table yet: take the
        # checkpoint's size (a sized table keeps the usual shape check).
        rows = state_dict.get(prefix + 'ema_logits')
        if rows is not None and self.num_samples == 0:
            self.resize_table(rows.shape[0])
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, feat_dim={self.feat_dim}, '
                f'loss_weight={self.loss_weight}, gamma={self.gamma}, '
                f'eps={self.eps}, num_samples={self.num_samples}')
