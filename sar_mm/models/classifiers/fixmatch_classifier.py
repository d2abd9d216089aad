from contextlib import nullcontext
from typing import Dict, List, Optional, Union

import torch
from mmpretrain.models import ImageClassifier
from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import Tensor, nn

from ...utils.errors import UserInputError, is_number_in
from ..losses.pseudo_label_loss import pseudo_label_loss
from ..pseudo_labelers import build_pseudo_labeler
from ..utils import check_ramp, eval_mode, running_stats_frozen, unsup_ramp
from ..sar import build_sar, capture_input, final_classifier, hard_labels

BRANCHES = ('sup', 'unsup_weak', 'unsup_strong')


def _multi_branch_preprocessor(cfg: dict) -> dict:
    """A ``MultiBranchDataPreprocessor`` config around the classification
    preprocessor a config gives (mmpretrain dataset configs set
    ``data_preprocessor = dict(num_classes=..., mean=..., std=...)``)."""
    if cfg.get('type') in ('MultiBranchDataPreprocessor', ):
        return cfg
    if cfg.get('batch_augments') or cfg.get('to_onehot'):
        raise UserInputError(
            'FixMatchClassifier trains on hard labels and pseudo-labels; '
            'remove batch_augments (Mixup, CutMix) and to_onehot from '
            'data_preprocessor.')
    inner = dict(cfg, type=cfg.get('type', 'ClsDataPreprocessor'))
    # built where the registry says, whatever the current default scope
    inner.setdefault('_scope_', 'mmpretrain')
    return dict(type='MultiBranchDataPreprocessor', data_preprocessor=inner)


@MODELS.register_module()
class FixMatchClassifier(ImageClassifier):
    """FixMatch: semi-supervised classification by confident pseudo-labels
    of weakly augmented images, learnt on strongly augmented ones.

    Sohn et al., "FixMatch: Simplifying Semi-Supervised Learning with
    Consistency and Confidence", NeurIPS 2020
    (https://arxiv.org/abs/2001.07685); one training step restated from
    ``fixmatch.py`` of github.com/google-research/fixmatch. A batch holds
    B labelled images (branch ``sup``, weakly augmented) and, for mu * B
    unlabelled images, a weak and a strong view (``unsup_weak``,
    ``unsup_strong``); ``MultiSourceSampler(source_ratio=[1, mu])``,
    ``MultiBranch`` and ``MultiBranchDataPreprocessor`` build it. Then:

    - ``loss_x``: the head's own loss of the labelled images, forwarded
      alone in train mode, as supervised training does;
    - pseudo-labels ``argmax softmax(weak logits)`` without gradient, from
      the model in eval mode (no dropout, running batch-norm statistics),
      kept by the pseudo-labelling strategy (FixMatch's: max prob >=
      threshold);
    - the strong views forwarded in train mode with their own batch
      statistics, leaving the running ones to the labelled batch (the
      reference forwards the three branches as one batch, so that its
      batch norms mix them; here a step with ``unsup_weight=0`` is the
      supervised step);
      ``loss_u = unsup_weight * sum over kept weight *
      CE(strong logits, pseudo-label) / (mu * B)``, the mean over *all*
      unlabelled images; ``mask_ratio`` (the kept share) and, when the
      unlabelled samples carry their (unused) labels, ``pseudo_label_acc``
      (the kept pseudo-labels' accuracy, 0 while none is kept) are
      logged.

    Evaluation and prediction are ``ImageClassifier``'s; FixMatch evaluates
    an EMA of the weights (decay 0.999), which is mmpretrain's ``EMAHook``
    with ``momentum=0.001`` in the configs.

    With ``sar=dict()``, Semantic Anchor Regularization (Ge et al., AAAI
    2024; Wang et al., IJCV 2025) joins in, through the same builder as
    every SAR adapter and through its one driver, as the semi-supervised
    segmentors use it: the anchor step runs once per training step through
    the head's final classifier; labelled features (what that classifier
    reads) are pulled towards the anchor of their label
    (``sup.loss_sar_pull``), strong-view features towards the anchor of
    their confident pseudo-label (``unsup.loss_sar_pull``, weighted by
    ``sar.unsup_pull_weight``; unconfident ones are not pulled).

    Args:
        backbone (dict): Backbone config.
        neck (dict, optional): Neck config.
        head (dict): A single-label head whose loss is computed from its
            logits (``LinearClsHead``, ``StackedLinearClsHead``,
            ``VisionTransformerClsHead``...).
        threshold (float): Confidence a pseudo-label needs (tau), for the
            default strategy. Defaults to 0.95.
        unsup_weight (float): Weight lambda_u of the unlabelled loss.
            Defaults to 1.
        pseudo_label (dict, optional): The pseudo-labelling strategy
            (:mod:`sar_mm.models.pseudo_labelers`), e.g.
            ``dict(type='FlexMatchThreshold')``; it replaces ``threshold``.
            Defaults to FixMatch's fixed threshold at ``threshold``.
        burn_in_iters (int): Iterations with the unlabelled losses off
            (their state, e.g. a strategy's, still updates). Defaults to 0.
        warmup_iters (int): Iterations over which they then ramp up
            linearly to their weights. Defaults to 0.
        sar (dict, optional): The SAR switch; None (default) trains plain
            FixMatch.
        pretrained (str, optional): Checkpoint of the whole model.
        data_preprocessor (dict | nn.Module, optional): The classification
            preprocessor (``ClsDataPreprocessor`` settings); it is run on
            each branch by ``MultiBranchDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 threshold: float = 0.95,
                 unsup_weight: float = 1.0,
                 pseudo_label: Optional[dict] = None,
                 burn_in_iters: int = 0,
                 warmup_iters: int = 0,
                 sar: Optional[dict] = None,
                 pretrained: Optional[str] = None,
                 data_preprocessor: Union[dict, nn.Module, None] = None,
                 init_cfg: Optional[dict] = None):
        for name, value, high in (('threshold', threshold, 1),
                                  ('unsup_weight', unsup_weight,
                                   float('inf'))):
            if not is_number_in(value, 0, high):
                raise UserInputError(
                    f'FixMatchClassifier {name} must be a number in '
                    f'[0, {high}], got {value!r}')
        if not isinstance(data_preprocessor, nn.Module):
            # Built here: ImageClassifier would add a `batch_augments`
            # argument that MultiBranchDataPreprocessor does not take.
            data_preprocessor = MODELS.build(
                _multi_branch_preprocessor(dict(data_preprocessor or {})))
        super().__init__(
            backbone,
            neck=neck,
            head=head,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.owner = f'{type(self).__name__} ({type(self.head).__name__})'
        classifier = final_classifier(self.head, self.owner)
        if type(self.head).loss is not ClsHead.loss:
            raise UserInputError(
                f'{self.owner} computes the labelled loss from the head\'s '
                f'logits, but {type(self.head).__name__} has its own '
                f'loss(); use a plain head (LinearClsHead, '
                f'VisionTransformerClsHead...) and, for SAR, '
                f'FixMatchClassifier(sar=dict()).')
        check_ramp(burn_in_iters, warmup_iters, 'FixMatchClassifier')
        self.unsup_weight = unsup_weight
        self.burn_in_iters, self.warmup_iters = burn_in_iters, warmup_iters
        self.pseudo_labeler = build_pseudo_labeler(
            pseudo_label or dict(type='FixedThreshold', threshold=threshold),
            MODELS,
            num_classes=classifier.out_features,
            owner=self.owner)
        self.sar = None if sar is None else build_sar(
            sar,
            MODELS,
            num_classes=classifier.out_features,
            feat_channels=classifier.in_features,
            ignore_index=-1,
            owner=self.owner,
            semi=True)

    def _branches(self, inputs, data_samples):
        if not isinstance(inputs, dict) or \
                any(inputs.get(b) is None for b in BRANCHES):
            got = sorted(inputs) if isinstance(inputs, dict) else \
                type(inputs).__name__
            raise UserInputError(
                f'{self.owner} trains on batches with the branches '
                f'{list(BRANCHES)}, got {got}: sample labelled and '
                f'unlabelled data with MultiSourceSampler and make the '
                f'views with MultiBranch (see configs/fixmatch).')
        x, weak, strong = (inputs[b] for b in BRANCHES)
        if weak.shape != strong.shape:
            raise UserInputError(
                f'{self.owner}: the weak and strong views must pair up, got '
                f'{tuple(weak.shape)} and {tuple(strong.shape)}')
        return (x, weak, strong), data_samples['sup'], \
            data_samples['unsup_weak']

    @torch.no_grad()
    def weak_probs(self, weak: Tensor) -> Tensor:
        """Class probabilities of the weak views, from the network
        (backbone, neck, head) in eval mode for this pass only (no dropout,
        running batch-norm statistics), without gradient."""
        nets = [
            m for m in (self.backbone, getattr(self, 'neck', None), self.head)
            if m is not None
        ]
        with eval_mode(*nets):
            logits = self.head(self.extract_feat(weak))
        return logits.float().softmax(dim=1)

    def loss(self, inputs: Dict[str, Tensor],
             data_samples: Dict[str, List[DataSample]]) -> dict:
        """FixMatch losses (and SAR's) of one multi-branch batch.

        Args:
            inputs (dict[str, Tensor]): ``sup``, ``unsup_weak`` and
                ``unsup_strong`` image batches.
            data_samples (dict[str, list[DataSample]]): Their samples; the
                labels of ``sup`` are used, the others' never.

        Returns:
            dict[str, Tensor]: ``loss_x``, ``loss_u``, ``mask_ratio``
            (+ ``pseudo_label_acc``) and, with SAR, ``loss_sar_anchor``,
            ``sup.loss_sar_pull``, ``unsup.loss_sar_pull``,
            ``sar_gate_open``, ``sar_anchor_acc``.
        """
        (x, weak, strong), sup_samples, unsup_samples = self._branches(
            inputs, data_samples)
        with_sar = self.sar is not None
        classifier = final_classifier(self.head) if with_sar else None
        with capture_input(classifier) if with_sar else nullcontext() \
                as captured:
            # the labelled batch alone, as supervised training forwards it
            logits_x = self.head(self.extract_feat(x))
            probs_w = self.weak_probs(weak)
            # own batch statistics; the running ones stay the labelled's
            with running_stats_frozen(self):
                logits_s = self.head(self.extract_feat(strong))

        losses = self.head._get_loss(logits_x, sup_samples)
        losses['loss_x'] = losses.pop('loss')
        pseudo_labels, keep, weight = self.pseudo_labeler(probs_w)
        loss_u, mask_ratio = pseudo_label_loss(logits_s, pseudo_labels,
                                               weight)
        ramp = unsup_ramp(self.burn_in_iters, self.warmup_iters)
        losses.update(loss_u=ramp * self.unsup_weight * loss_u,
                      mask_ratio=mask_ratio)
        if 'gt_label' in unsup_samples[0]:
            truth = torch.cat([s.gt_label for s in unsup_samples]).to(
                pseudo_labels.device)
            losses['pseudo_label_acc'] = (
                (pseudo_labels == truth) & keep).sum() / \
                keep.sum().clamp(min=1)
        if with_sar:
            feats_x, feats_s = captured[0], captured[-1]
            kept = pseudo_labels.masked_fill(
                ~self.sar.unsup_pull_mask(keep, probs_w),
                self.sar.ignore_index[0])
            losses.update(
                self.sar.losses(
                    classifier, {
                        'sup': (feats_x, hard_labels(sup_samples,
                                                     self.owner), 1.),
                        'unsup': (feats_s, kept,
                                  ramp * self.sar.unsup_pull_weight)
                    }))
        return losses
