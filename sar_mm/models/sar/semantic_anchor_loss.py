import math
from typing import Callable, Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import all_reduce, broadcast, get_world_size
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmseg.registry import MODELS as SEG_MODELS
from torch import Tensor

from ...utils.errors import is_number_in
from ..utils.own_generator import own_generator


#: Mixed into SAR's seed, so that its stream is never the model's stream
#: of the same seed.
_SAR_STREAM = 0x5A12


def sar_generator(seed: Optional[int] = None) -> torch.Generator:
    """SAR's own random number generator (:func:`own_generator` of SAR's
    stream): the run's seed, or ``seed``, mixed with :data:`_SAR_STREAM`."""
    return own_generator(_SAR_STREAM, seed)


def _projector_block(channels: int,
                     generator: torch.Generator) -> nn.Sequential:
    # initialised as nn.Linear does, from SAR's generator, not the global
    # one; no bias: BatchNorm right after would cancel it
    linear = torch.nn.utils.skip_init(
        nn.Linear, channels, channels, bias=False)
    nn.init.kaiming_uniform_(linear.weight, a=math.sqrt(5),
                             generator=generator)
    return nn.Sequential(linear, nn.BatchNorm1d(channels),
                         nn.ReLU(inplace=True))


@SEG_MODELS.register_module()
@PRETRAIN_MODELS.register_module()
class SemanticAnchorLoss(nn.Module):
    """Semantic Anchor Regularization (SAR), the task-agnostic core.

    Ge et al., "Beyond Prototypes: Semantic Anchor Regularization for Better
    Representation Learning", AAAI 2024 (https://arxiv.org/abs/2312.11872);
    Wang et al., "Towards Balanced Representation Learning with Semantic
    Anchor Regularization", IJCV 2025. Restated from the reference
    ``mmseg/models/segmentors/sar.py`` of github.com/geyanqi/SAR.

    Per call, with ``C`` classes and ``D`` feature channels:

    1. Fixed predefined anchors ``A0`` (C x D, N(0, 1), a buffer) go through
       a trainable projector, three Linear-BN-ReLU blocks (the reference's
       Linear-BN-ReLU x2 and 1x1 Conv-BN-ReLU on 1x1 maps, which is the same
       map), giving the semantic anchors ``A``.
    2. ``A`` goes through the task's own classifier (shared, no
       stop-gradient). Anchor loss: ``sum_c w_c * CE_c`` with
       ``CE_c = -log p_c`` (``p_c`` the probability of anchor ``c`` for its
       own class) and ``w_c = log p~_c / sum_k log p~_k`` where
       ``p~_c = 1`` for anchors already above ``filter_conf`` (weight 0).
    3. Gate: open when every anchor is classified as its own class with
       ``p_c > update_conf``. While open, the EMA anchors ``M`` (a buffer)
       move towards ``A``: initialised to ``A`` on first opening, then
       ``M <- momentum * M + (1 - momentum) * A``.
    4. Pull loss, only while the gate is open: mean over labelled positions
       and channels of ``(f - M[label])^2``. ``M`` is detached, so gradient
       reaches the network, never the anchors.

    Differences from the reference, none of which changes the maths: the
    pull target is ``M[labels]`` (an index, not a one-hot matrix product),
    ignore values are configurable, nothing is tied to CUDA, losses are
    computed in fp32 (safe under fp16 autocast), the gate and the EMA step
    are agreed across DDP ranks so every rank keeps identical anchors, and
    no host synchronisation is needed per step.

    Args:
        num_classes (int): Number of classes C.
        feat_channels (int): Channels D of the features the classifier
            takes.
        pull_weight (float): Weight of the pull loss (the reference's
            ``trade_off``). Defaults to 0.1.
        anchor_weight (float): Weight of the anchor loss (``trade_off_ce``).
            Defaults to 1.0.
        filter_conf (float): Anchors whose own-class probability is above
            this get no anchor loss. Defaults to 0.9.
        update_conf (float): Own-class probability every anchor must exceed
            for the gate to open. Defaults to 0.8.
        momentum (float): EMA momentum of the semantic anchors.
            Defaults to 0.999.
        ignore_index (int | Sequence[int]): Label values without a class.
            Defaults to 255.
        unsup_pull_weight (float): Semi-supervised models only: weight of
            the pull of unlabelled features towards the anchors of their
            kept pseudo-labels, on top of ``pull_weight``. Defaults to 1.0.
        unsup_conf_thresh (float): Semi-supervised models only: of the
            pseudo-labels the unlabelled loss keeps, SAR pulls those whose
            confidence also reaches this (e.g. 0.95 where the loss keeps
            every pixel, as UniMatch on Cityscapes). Defaults to 0: all
            kept ones.
        seed (int, optional): Seed of SAR's own generator, which draws the
            predefined anchors and initialises the projector. Defaults to
            the run's seed (see :func:`sar_generator`); the global
            generator is never used.
    """

    def __init__(self,
                 num_classes: int,
                 feat_channels: int,
                 pull_weight: float = 0.1,
                 anchor_weight: float = 1.0,
                 filter_conf: float = 0.9,
                 update_conf: float = 0.8,
                 momentum: float = 0.999,
                 ignore_index: Union[int, Sequence[int]] = 255,
                 unsup_pull_weight: float = 1.0,
                 unsup_conf_thresh: float = 0.0,
                 seed: Optional[int] = None):
        super().__init__()
        if num_classes < 2:
            raise ValueError(
                f'SAR needs a classifier over >= 2 classes, got '
                f'num_classes={num_classes}')
        for name, value, low, high in (
                ('pull_weight', pull_weight, 0, float('inf')),
                ('anchor_weight', anchor_weight, 0, float('inf')),
                ('filter_conf', filter_conf, 0, 1),
                ('update_conf', update_conf, 0, 1),
                ('momentum', momentum, 0, 1),
                ('unsup_pull_weight', unsup_pull_weight, 0, float('inf')),
                ('unsup_conf_thresh', unsup_conf_thresh, 0, 1)):
            if not is_number_in(value, low, high):
                raise ValueError(
                    f'{name} must be a number in [{low}, {high}], got '
                    f'{value!r}')
        ignore = tuple(ignore_index) if isinstance(
            ignore_index, (list, tuple)) else (ignore_index, )
        if not all(isinstance(v, int) and not isinstance(v, bool)
                   for v in ignore):
            raise ValueError(
                f'ignore_index must be an int or a list of ints, got '
                f'{ignore_index!r}')
        self.num_classes = num_classes
        self.feat_channels = feat_channels
        self.pull_weight = pull_weight
        self.anchor_weight = anchor_weight
        self.filter_conf = filter_conf
        self.update_conf = update_conf
        self.momentum = momentum
        self.ignore_index = ignore
        self.unsup_pull_weight = unsup_pull_weight
        self.unsup_conf_thresh = unsup_conf_thresh

        if seed is not None and (not isinstance(seed, int)
                                 or isinstance(seed, bool) or seed < 0):
            raise ValueError(
                f'seed must be a non-negative int or None, got {seed!r}')
        generator = sar_generator(seed)
        self.register_buffer(
            'predefined_anchors',
            torch.randn(num_classes, feat_channels, generator=generator))
        self.register_buffer('semantic_anchors',
                             torch.zeros(num_classes, feat_channels))
        self.register_buffer('anchors_initialized', torch.tensor(False))
        self.register_buffer('gate_open', torch.tensor(False))
        self.projector = nn.Sequential(*[
            _projector_block(feat_channels, generator) for _ in range(3)
        ])
        self._ranks_synced = False

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, '
                f'feat_channels={self.feat_channels}, '
                f'pull_weight={self.pull_weight}, '
                f'anchor_weight={self.anchor_weight}, '
                f'filter_conf={self.filter_conf}, '
                f'update_conf={self.update_conf}, momentum={self.momentum}, '
                f'ignore_index={self.ignore_index}, '
                f'unsup_pull_weight={self.unsup_pull_weight}, '
                f'unsup_conf_thresh={self.unsup_conf_thresh}')

    def anchor_loss(self, logits: Tensor) -> Tensor:
        """Confidence-filtered, re-weighted CE of each anchor to its class.

        Args:
            logits (Tensor): (C, C) classifier output for the C anchors.
        """
        own_log_prob = logits.float().log_softmax(dim=1).diagonal()
        # a Python threshold: a tensor made from it would be copied to the
        # device, and wait for it, every step
        log_conf = math.log(self.filter_conf) if self.filter_conf > 0 \
            else -math.inf
        filtered = own_log_prob.masked_fill(own_log_prob > log_conf, 0.)
        weights = filtered / (filtered.sum() + 1e-9)
        return -(weights * own_log_prob).sum()

    def valid_mask(self, labels: Tensor) -> Tensor:
        """Positions labelled with a class: neither an ignore value nor
        outside ``[0, num_classes)``."""
        valid = (labels >= 0) & (labels < self.num_classes)
        for value in self.ignore_index:
            valid &= labels != value
        return valid

    def pull_loss(self, feats: Tensor, labels: Tensor) -> Tensor:
        """Mean squared distance of labelled features to their EMA anchor.

        Args:
            feats (Tensor): (N, D, ...) features.
            labels (Tensor): (N, ...) labels; nearest-resized to the
                features' spatial size when that differs.

        Returns:
            Tensor: A scalar; exactly 0 when no position is labelled.
        """
        labels = self.resize_labels(labels, feats.shape[2:])
        valid = self.valid_mask(labels)
        # Clamped indices keep the lookup in range; masked out below. Labels
        # are range-checked once, on the CPU batch (DataCheckHook).
        target = self.semantic_anchors[labels.clamp(0, self.num_classes - 1)]
        sq_dist = (feats.float().movedim(1, -1) - target).pow(2).sum(-1)
        total = (sq_dist * valid).sum()
        count = valid.sum().clamp(min=1) * self.feat_channels
        return total / count

    @staticmethod
    def resize_labels(labels: Tensor, size: torch.Size) -> Tensor:
        if labels.shape[1:] == size:
            return labels
        return F.interpolate(
            labels[:, None].float(), size=size,
            mode='nearest')[:, 0].to(labels.dtype)

    def _sync_ranks_once(self) -> None:
        """Start every rank from rank 0's anchors (buffers are not broadcast
        by mmengine's DDP wrapper), e.g. if ranks were seeded differently."""
        if self._ranks_synced or get_world_size() == 1:
            return
        for buf in (self.predefined_anchors, self.semantic_anchors,
                    self.anchors_initialized):
            broadcast(buf, src=0)
        self._ranks_synced = True

    @torch.no_grad()
    def _update_gate_and_anchors(self, anchors: Tensor,
                                 passed: Tensor) -> None:
        """Open the gate iff every anchor passed on every rank; while open,
        move the EMA anchors towards the (rank-averaged) semantic anchors."""
        anchors = anchors.detach().float()
        world_size = get_world_size()
        if world_size > 1:
            packed = torch.cat([anchors.flatten(), passed.float()[None]])
            all_reduce(packed)
            anchors = (packed[:-1] / world_size).view_as(anchors)
            passed = packed[-1] == world_size
        moved = torch.where(
            self.anchors_initialized,
            self.momentum * self.semantic_anchors +
            (1 - self.momentum) * anchors, anchors)
        self.semantic_anchors.copy_(
            torch.where(passed, moved, self.semantic_anchors))
        self.anchors_initialized.logical_or_(passed)
        self.gate_open.copy_(passed)

    def anchor_step(
            self, classifier: Callable[[Tensor],
                                       Tensor]) -> Dict[str, Tensor]:
        """The anchor half of SAR; call it once per training step.

        Projects the anchors, classifies them with the task's classifier,
        computes the anchor loss and, in training, updates the gate and the
        EMA anchors that :meth:`gated_pull` pulls towards.

        Args:
            classifier (Callable): Maps (C, D) anchors to (C, C) logits with
                the task's own classifier.

        Returns:
            dict[str, Tensor]: ``loss_sar_anchor`` (weighted), plus
            ``sar_gate_open`` and ``sar_anchor_acc`` for the log.
        """
        self._sync_ranks_once()
        anchors = self.projector(self.predefined_anchors)
        logits = classifier(anchors)
        if logits.shape != (self.num_classes, self.num_classes):
            raise ValueError(
                f'the classifier must map ({self.num_classes}, '
                f'{self.feat_channels}) anchors to ({self.num_classes}, '
                f'{self.num_classes}) logits, got {tuple(logits.shape)}')
        loss_anchor = self.anchor_loss(logits)

        targets = torch.arange(self.num_classes, device=logits.device)
        correct = logits.argmax(dim=1) == targets
        own_prob = logits.detach().float().softmax(dim=1).diagonal()
        if self.training:
            passed = (correct & (own_prob > self.update_conf)).all()
            self._update_gate_and_anchors(anchors, passed)
        return dict(
            loss_sar_anchor=self.anchor_weight * loss_anchor,
            sar_gate_open=self.gate_open.float(),
            sar_anchor_acc=correct.float().mean())

    def _check_channels(self, feats: Tensor) -> None:
        if feats.shape[1] != self.feat_channels:
            raise ValueError(
                f'SemanticAnchorLoss was built for {self.feat_channels} '
                f'feature channels but got features of shape '
                f'{tuple(feats.shape)}')

    def gated_pull(self, feats: Tensor, labels: Tensor) -> Tensor:
        """The weighted pull loss, exactly 0 while the gate is closed.

        Args:
            feats (Tensor): (N, D, ...) features the classifier takes, e.g.
                (N, D, h, w) decode features or (N, D) image features.
            labels (Tensor): (N, ...) integer labels; positions with an
                ignore value are not pulled.
        """
        self._check_channels(feats)
        # Multiplying by the gate instead of branching on it avoids a
        # device-to-host sync every step; a closed gate gives exactly 0.
        return self.pull_weight * self.pull_loss(feats,
                                                 labels) * self.gate_open

    def unsup_pull_mask(self, keep: Tensor, probs: Tensor) -> Tensor:
        """Where SAR may pull unlabelled features: the pseudo-labels the
        unlabelled loss keeps whose confidence also reaches
        ``unsup_conf_thresh``.

        Args:
            keep (Tensor): (N, ...) bool, kept by the pseudo-label loss.
            probs (Tensor): (N, C, ...) class probabilities of the weak
                view.
        """
        return keep & (probs.max(dim=1).values >= self.unsup_conf_thresh)

    def losses(self, classifier: Callable[[Tensor], Tensor],
               pulls: Dict[str, Tuple[Tensor, Tensor, float]]
               ) -> Dict[str, Tensor]:
        """SAR's losses for one training step; every adapter calls this.

        :meth:`anchor_step` once, then one :meth:`gated_pull` per entry of
        ``pulls``, e.g. labelled features with their ground truth and, in
        semi-supervised training, unlabelled ones with their kept
        pseudo-labels (the rest set to an ignore value).

        Args:
            classifier (Callable): Maps (C, D) anchors to (C, C) logits with
                the task's own classifier.
            pulls (dict): ``name: (feats, labels, weight)``, with ``feats``
                (N, D, ...), ``labels`` (N, ...) and ``weight`` multiplying
                that pull. The name is the data branch the features come
                from: ``''`` for a supervised model, ``'sup'`` and
                ``'unsup'`` for a semi-supervised one.

        Returns:
            dict[str, Tensor]: ``loss_sar_anchor``, one
            ``loss_sar_pull`` (name ``''``) or ``{name}.loss_sar_pull`` per
            pull, all weighted, plus ``sar_gate_open`` and
            ``sar_anchor_acc`` for the log.
        """
        for feats, _, _ in pulls.values():
            self._check_channels(feats)  # before anchor_step changes state
        losses = self.anchor_step(classifier)
        for name, (feats, labels, weight) in pulls.items():
            key = f'{name}.loss_sar_pull' if name else 'loss_sar_pull'
            losses[key] = weight * self.gated_pull(feats, labels)
        return losses

    def forward(self, feats: Tensor, labels: Tensor,
                classifier: Callable[[Tensor], Tensor]) -> Dict[str, Tensor]:
        """:meth:`losses` with one pull of labelled ``feats``, weight 1."""
        return self.losses(classifier, {'': (feats, labels, 1.)})
