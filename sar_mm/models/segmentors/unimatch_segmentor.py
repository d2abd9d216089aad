from typing import Dict, Tuple

from mmseg.registry import MODELS
from mmseg.utils import SampleList
from torch import Tensor, nn

from ..losses.pseudo_label_loss import pseudo_label_loss
from .fixmatch_segmentor import FixMatchSegmentor
from .semi_base_segmentor import WeakPrediction


@MODELS.register_module()
class UniMatchSegmentor(FixMatchSegmentor):
    """UniMatch: FixMatch with a feature-perturbation stream and two strong
    views.

    Yang et al., "Revisiting Weak-to-Strong Consistency in Semi-Supervised
    Semantic Segmentation", CVPR 2023 (https://arxiv.org/abs/2208.09910);
    restated from ``unimatch.py`` and ``model/semseg/deeplabv3plus.py`` of
    github.com/LiheYoung/UniMatch. On top of :class:`FixMatchSegmentor`:

    - Feature perturbation: the weak images' encoder features (every
      level the backbone/neck returns), after channel dropout
      (``Dropout2d(fp_dropout)``), go through the decoder; their
      prediction learns the weak pseudo-labels (no CutMix) with the same
      keep-mask, weights and normaliser. The gradient reaches encoder and
      decoder. The reference perturbs in the pass that also gives the
      pseudo-labels; here that pass is dropout-free, so the perturbed one
      is its own (train mode, not updating the batch-norm statistics).
    - Two strong views (branches ``unsup_strong1`` and ``unsup_strong2``),
      with independent photometric draws and CutMix boxes.
    - ``L = L_x + 0.25 L_s1 + 0.25 L_s2 + 0.5 L_fp``: the reference's
      ratios with the labelled loss at its supervised weight
      (``sup_weight`` 1, ``unsup_weight`` 0.5 shared by the two views,
      ``fp_weight`` 0.5); the reference's code halves every term (set
      0.5, 0.25, 0.25 for its exact values, as the reproduction configs
      do).

    Logged as :class:`FixMatchSegmentor`, with ``unsup.loss_s1``,
    ``unsup.loss_s2`` and ``unsup.loss_fp``. SAR never sees the perturbed
    features.

    Args: see :class:`SemiBaseSegmentor`; ``semi_train_cfg`` also takes
    ``fp_weight`` and ``fp_dropout``.
    """

    default_semi_train_cfg = dict(
        FixMatchSegmentor.default_semi_train_cfg,
        unsup_weight=0.5,
        fp_weight=0.5,
        fp_dropout=0.5)
    strong_branches = ('unsup_strong1', 'unsup_strong2')

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.feature_dropout = nn.Dropout2d(self.semi_train_cfg['fp_dropout'])

    def loss_by_pseudo_labels(
            self, inputs: Dict[str, Tensor],
            data_samples: Dict[str, SampleList],
            pseudo: WeakPrediction) -> Tuple[dict, Tuple[Tensor, ...]]:
        """FixMatch's strong-view losses, and ``unsup.loss_fp``: the weak
        images' perturbed features learn the pseudo-labels."""
        losses, pulled = super().loss_by_pseudo_labels(inputs, data_samples,
                                                       pseudo)
        logits, _, _ = self.student_pass(
            inputs[self.weak_branch], feature_fn=self.feature_dropout)
        loss, _ = pseudo_label_loss(
            self.upsample(logits, pseudo.labels.shape[1:]), pseudo.labels,
            pseudo.weight, pseudo.valid)
        losses['unsup.loss_fp'] = self.semi_train_cfg['fp_weight'] * loss
        return losses, pulled
