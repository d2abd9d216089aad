from typing import Dict, List, Optional, Tuple

import torch
from mmseg.registry import MODELS
from mmseg.utils import SampleList, add_prefix
from torch import Tensor

from ..losses.pseudo_label_loss import pseudo_label_loss
from .semi_base_segmentor import SemiBaseSegmentor


@MODELS.register_module()
class FixMatchSegmentor(SemiBaseSegmentor):
    """FixMatch for semantic segmentation, as UniMatch implements it.

    Sohn et al., "FixMatch: Simplifying Semi-Supervised Learning with
    Consistency and Confidence", NeurIPS 2020; the segmentation variant of
    Yang et al., CVPR 2023 (``fixmatch.py`` of github.com/LiheYoung/UniMatch
    and, for the EMA teacher and the in-batch CutMix partner,
    github.com/LiheYoung/UniMatch-V2). One step:

    1. Pseudo-labels ``y`` are the argmax of the weak view's softmax,
       without gradient: from the student's train-mode forward over
       labelled + weak images (batch norms see both, as in the reference),
       or from the EMA teacher in eval mode. The pseudo-labelling strategy
       (``pseudo_label``, FixMatch's fixed threshold ``conf_thresh`` by
       default; see :mod:`sar_mm.models.pseudo_labelers`) decides which
       non-padded pixels are kept, and their weights.
    2. CutMix: inside each strong view's box, the batch's mirror sample
       (``flip(0)``) is pasted, and ``y``, the keep-mask, the weights and
       the padding mask are mixed with the same boxes.
    3. ``L_x``: the segmentor's own decode (and auxiliary) losses on the
       labelled images. ``L_s``: per-pixel cross-entropy of the strong view
       to the mixed ``y``, times the mixed weights, summed and divided by
       the number of non-padded pixels (not of kept ones).
    4. ``L = sup_weight * L_x + unsup_weight * L_s``; the reference's
       ``(L_x + L_s) / 2`` by default. Every unlabelled term is 0 during
       ``burn_in_iters`` and then ramps up over ``warmup_iters`` (both 0,
       as in the reference, by default).

    Logged: ``sup.*`` (the segmentor's losses, weighted, and accuracy),
    ``unsup.loss_s``, ``unsup.mask_ratio`` (the share of non-padded weak
    pixels the strategy keeps; no "loss" in its name, so it is logged, not
    optimised), and with ``sar=dict()``
    ``loss_sar_anchor``, ``sup.loss_sar_pull``, ``unsup.loss_sar_pull``,
    ``sar_gate_open`` and ``sar_anchor_acc``.

    Enable it on a supervised config (plus the semi-supervised dataloader,
    see ``configs/semi/``)::

        model = dict(_delete_=True, type='FixMatchSegmentor',
                     segmentor=_base_.model)

    Args: see :class:`SemiBaseSegmentor`.
    """

    #: UniMatch forwards the weak view through the student even with a
    #: teacher (its feature-perturbation stream needs it).
    weak_student_forward = False

    def loss(self, inputs: Dict[str, Tensor],
             data_samples: Dict[str, SampleList]) -> dict:
        self.check_branches(inputs, data_samples)
        cfg = self.semi_train_cfg
        x_sup, sup_samples = inputs[self.sup_branch], data_samples[
            self.sup_branch]
        weak = inputs[self.weak_branch]
        n_sup, n_unsup = len(x_sup), len(weak)
        valid = self.valid_mask(data_samples[self.weak_branch])
        boxes = [
            self.box_masks(data_samples[b], weak)
            for b in self.strong_branches
        ]
        strong = torch.cat([
            self.cutmix(box, inputs[b])
            for b, box in zip(self.strong_branches, boxes)
        ])

        first_logits = None
        if self.teacher is None or self.weak_student_forward:
            # the reference's batch-norm groups: labelled + weak, strong
            first_logits, first_feats, sup_losses = self.first_pass(
                x_sup, sup_samples, weak)
            strong_logits, strong_feats, _ = self.student_pass(strong)
            sup_feats = first_feats[:n_sup]
        else:
            # UniMatch-V2's: labelled + strong in one pass
            logits, feats, sup_losses = self.student_pass(
                torch.cat([x_sup, strong]), sup_samples)
            sup_feats, strong_feats = feats[:n_sup], feats[n_sup:]
            strong_logits = logits[n_sup:]
        if self.teacher is not None:
            weak_logits = self.teacher_logits(weak)
        else:
            weak_logits = first_logits[n_sup:n_sup + n_unsup]
        with torch.no_grad():
            probs = self.upsample(weak_logits.detach().float(),
                                  weak.shape[2:]).softmax(dim=1)
        labels, keep, weight = self.pseudo_labeler(probs, valid)
        pull = keep if self.sar is None else self.sar.unsup_pull_mask(
            keep, probs)

        losses = add_prefix(
            {
                k: cfg['sup_weight'] * v if 'loss' in k else v
                for k, v in sup_losses.items()
            }, 'sup')
        losses['unsup.mask_ratio'] = keep.sum() / valid.sum().clamp(min=1)
        mixed = self.strong_losses(losses, strong_logits, boxes, labels,
                                   pull, weight, valid)
        losses.update(
            self.extra_unsup_losses(first_logits, n_sup, n_unsup, labels,
                                    weight, valid))
        if self.sar is not None:
            mixed_labels, keep = zip(*mixed)
            losses.update(
                self.sar_losses(sup_feats, self.stack_maps(sup_samples),
                                strong_feats, torch.cat(mixed_labels),
                                torch.cat(keep)))
        ramp = self.unsup_ramp()
        return {
            k: ramp * v if k.startswith('unsup.loss') else v
            for k, v in losses.items()
        }

    def first_pass(self, x_sup: Tensor, sup_samples: SampleList,
                   weak: Tensor) -> Tuple[Tensor, Tensor, dict]:
        """The student over labelled and weak images together."""
        return self.student_pass(torch.cat([x_sup, weak]), sup_samples)

    def strong_losses(self, losses: dict, strong_logits: Tensor,
                      boxes: List[Tensor], labels: Tensor, pull: Tensor,
                      weight: Tensor,
                      valid: Tensor) -> List[Tuple[Tensor, Tensor]]:
        """Add the strong views' losses to ``losses``; return each view's
        CutMixed pseudo-labels and where SAR may pull them (``pull``)."""
        views = strong_logits.split(len(labels))
        mixed = []
        for i, (box, logits) in enumerate(zip(boxes, views), 1):
            view_labels, view_pull, view_weight, view_valid = (
                self.cutmix(box, t) for t in (labels, pull, weight, valid))
            loss, _ = pseudo_label_loss(
                self.upsample(logits, labels.shape[1:]), view_labels,
                view_weight, view_valid)
            key = 'unsup.loss_s' if len(views) == 1 else f'unsup.loss_s{i}'
            losses[key] = self.semi_train_cfg['unsup_weight'] / len(
                views) * loss
            mixed.append((view_labels, view_pull))
        return mixed

    def extra_unsup_losses(self, first_logits: Optional[Tensor], n_sup: int,
                           n_unsup: int, labels: Tensor, weight: Tensor,
                           valid: Tensor) -> dict:
        """Further unlabelled losses from the first pass; none here."""
        return {}
