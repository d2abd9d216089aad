from typing import Optional, Tuple

import torch
from mmseg.registry import MODELS
from mmseg.utils import SampleList
from torch import Tensor, nn

from ..losses.pseudo_label_loss import pseudo_label_loss
from .fixmatch_segmentor import FixMatchSegmentor


@MODELS.register_module()
class UniMatchSegmentor(FixMatchSegmentor):
    """UniMatch: FixMatch with a feature-perturbation stream and two strong
    views.

    Yang et al., "Revisiting Weak-to-Strong Consistency in Semi-Supervised
    Semantic Segmentation", CVPR 2023 (https://arxiv.org/abs/2208.09910);
    restated from ``unimatch.py`` and ``model/semseg/deeplabv3plus.py`` of
    github.com/LiheYoung/UniMatch. On top of :class:`FixMatchSegmentor`:

    - Feature perturbation: the decoder also gets the weak images' encoder
      features (every level the backbone/neck returns) after channel
      dropout (``Dropout2d(fp_dropout)``), in the same pass as the clean
      ones; their prediction learns the weak pseudo-labels (no CutMix) with
      the same keep-mask, weights and normaliser. The gradient reaches
      encoder and decoder. Labelled images are not perturbed (the
      reference perturbs and discards them).
    - Two strong views (branches ``unsup_strong1`` and ``unsup_strong2``),
      with independent photometric draws and CutMix boxes.
    - ``L = (L_x + 0.25 L_s1 + 0.25 L_s2 + 0.5 L_fp) / 2``: ``sup_weight``
      0.5, ``unsup_weight`` 0.25 shared by the two views, ``fp_weight``
      0.25.

    Logged as :class:`FixMatchSegmentor`, with ``unsup.loss_s1``,
    ``unsup.loss_s2`` and ``unsup.loss_fp``. SAR never sees the perturbed
    features.

    Args: see :class:`SemiBaseSegmentor`; ``semi_train_cfg`` also takes
    ``fp_weight`` and ``fp_dropout``.
    """

    default_semi_train_cfg = dict(
        FixMatchSegmentor.default_semi_train_cfg,
        unsup_weight=0.25,
        fp_weight=0.25,
        fp_dropout=0.5)
    strong_branches = ('unsup_strong1', 'unsup_strong2')
    weak_student_forward = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.feature_dropout = nn.Dropout2d(self.semi_train_cfg['fp_dropout'])

    def first_pass(self, x_sup: Tensor, sup_samples: SampleList,
                   weak: Tensor) -> Tuple[Tensor, Tensor, dict]:
        """Labelled + weak images, and the perturbed weak features appended
        to the decoder's batch."""
        return self.student_pass(
            torch.cat([x_sup, weak]),
            sup_samples,
            perturb=(len(weak), self.feature_dropout))

    def extra_unsup_losses(self, first_logits: Optional[Tensor], n_sup: int,
                           n_unsup: int, labels: Tensor, weight: Tensor,
                           valid: Tensor) -> dict:
        """The feature-perturbation loss."""
        fp_logits = first_logits[n_sup + n_unsup:]
        loss, _ = pseudo_label_loss(
            self.upsample(fp_logits, labels.shape[1:]), labels, weight,
            valid)
        return {'unsup.loss_fp': self.semi_train_cfg['fp_weight'] * loss}
