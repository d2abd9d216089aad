from typing import Dict, Tuple

import torch
from mmseg.registry import MODELS
from mmseg.utils import SampleList
from torch import Tensor

from ..losses.pseudo_label_loss import pseudo_label_loss
from .semi_base_segmentor import SemiBaseSegmentor, WeakPrediction


@MODELS.register_module()
class FixMatchSegmentor(SemiBaseSegmentor):
    """FixMatch for semantic segmentation, as UniMatch implements it.

    Sohn et al., "FixMatch: Simplifying Semi-Supervised Learning with
    Consistency and Confidence", NeurIPS 2020; the segmentation variant of
    Yang et al., CVPR 2023 (``fixmatch.py`` of github.com/LiheYoung/UniMatch
    and, for the EMA teacher and the in-batch CutMix partner,
    github.com/LiheYoung/UniMatch-V2). One step:

    1. ``L_x``: the segmentor's own decode (and auxiliary) losses on the
       labelled images, forwarded alone as in supervised training.
    2. Pseudo-labels ``y`` are the argmax of the weak view's softmax,
       without gradient and without dropout: from the student in eval mode
       (the reference forwards the weak view in train mode next to the
       labelled images) or from the EMA teacher. The pseudo-labelling strategy
       (``pseudo_label``, FixMatch's fixed threshold ``conf_thresh`` by
       default; see :mod:`sar_mm.models.pseudo_labelers`) decides which
       non-padded pixels are kept, and their weights.
    3. CutMix: inside each strong view's box, the batch's mirror sample
       (``flip(0)``) is pasted, and ``y``, the keep-mask, the weights and
       the padding mask are mixed with the same boxes.
    4. ``L_s``: per-pixel cross-entropy of the strong views (their own
       batch-norm batch, not updating the running statistics) to the mixed
       ``y``, times the mixed weights, summed and divided by the number of
       non-padded pixels (not of kept ones).
    5. ``L = sup_weight * L_x + unsup_weight * L_s``, ``L_x + L_s`` by
       default (FixMatch's lambda_u = 1; UniMatch's code halves both, the
       same as halving the learning rate). Every unlabelled term is 0 during
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

    def loss_by_pseudo_labels(
            self, inputs: Dict[str, Tensor],
            data_samples: Dict[str, SampleList],
            pseudo: WeakPrediction) -> Tuple[dict, Tuple[Tensor, ...]]:
        """``unsup.loss_s`` (``loss_s1``, ``loss_s2``... with several
        strong views) of the CutMixed strong views, in one student pass."""
        boxes = [
            self.box_masks(data_samples[b], pseudo.labels)
            for b in self.strong_branches
        ]
        strong = torch.cat([
            self.cutmix(box, inputs[b])
            for b, box in zip(self.strong_branches, boxes)
        ])
        logits, feats, _ = self.student_pass(strong)
        losses, labels, pulls = {}, [], []
        views = logits.split(len(pseudo.labels))
        for i, (box, view) in enumerate(zip(boxes, views), 1):
            view_labels, view_pull, view_weight, view_valid = (
                self.cutmix(box, t) for t in (pseudo.labels, pseudo.pull,
                                              pseudo.weight, pseudo.valid))
            loss, _ = pseudo_label_loss(
                self.upsample(view, view_labels.shape[1:]), view_labels,
                view_weight, view_valid)
            key = 'unsup.loss_s' if len(views) == 1 else f'unsup.loss_s{i}'
            losses[key] = self.semi_train_cfg['unsup_weight'] / len(
                views) * loss
            labels.append(view_labels)
            pulls.append(view_pull)
        return losses, (feats, torch.cat(labels), torch.cat(pulls))
