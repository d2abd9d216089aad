import copy
from contextlib import nullcontext
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModel
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.segmentors import EncoderDecoder
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.utils import SampleList, add_prefix
from torch import Tensor

from ...utils.errors import UserInputError, is_number_in
from ..data_preprocessors import MultiBranchDataPreprocessor
from ..pseudo_labelers import build_pseudo_labeler
from ..sar import (anchor_classifier, build_head_sar,
                   capture_classifier_input, check_pixel_classifier,
                   pool_pseudo_labels)
from ..utils import (check_ramp, decode_heads, eval_mode, last_decode_head,
                     running_stats_frozen, unsup_ramp)
from .sar_segmentor import SARSegmentorMixin

#: semi_train_cfg keys that SAR's own settings replaced, and where to go.
_MOVED_KEYS = {
    'sar_conf_thresh':
    'set sar=dict(unsup_conf_thresh=...) instead',
    'sar_unsup_weight':
    'set sar=dict(unsup_pull_weight=...) instead',
}


class WeakPrediction(NamedTuple):
    """The weak view's pseudo-labels, each (N, H, W): the argmax class,
    the strategy's keep-mask and weights, the non-padded pixels, and where
    SAR may pull (``keep``, or SAR's own confidence gate)."""
    labels: Tensor
    keep: Tensor
    weight: Tensor
    valid: Tensor
    pull: Tensor


def decode_stages(segmentor: EncoderDecoder,
                  feats: Sequence[Tensor]) -> List[Tensor]:
    """The logits of every decode head, each cascade stage taking the
    previous stage's output, as ``CascadeEncoderDecoder`` chains them."""
    heads = decode_heads(segmentor)
    outputs = [heads[0](feats)]
    for head in heads[1:]:
        outputs.append(head(feats, outputs[-1]))
    return outputs


def _student_keys_to_top(module, state_dict, prefix, local_metadata):
    """state_dict post-hook: the student's weights under the segmentor's own
    keys, so the checkpoint loads into the plain supervised config."""
    student = f'{prefix}student.'
    items = list(state_dict.items())
    state_dict.clear()
    for key, value in items:
        if key.startswith(student):
            key = prefix + key[len(student):]
        state_dict[key] = value


def _top_keys_to_student(module, state_dict, prefix, local_metadata, strict,
                         missing_keys, unexpected_keys, error_msgs):
    """load_state_dict pre-hook, the inverse: keys that are not of the
    wrapper's own modules (teacher, SAR, pseudo-labeller...) are the
    student's. A plain segmentor checkpoint (no teacher keys) initialises
    the teacher too, and leaves the training state it lacks (SAR, the
    pseudo-labeller) as it is."""
    own = tuple(f'{prefix}{name}.' for name in module._modules)
    plain = [k for k in state_dict if k.startswith(prefix)
             and not k.startswith(own)]
    has_teacher = any(k.startswith(f'{prefix}teacher.') for k in state_dict)
    for key in plain:
        rest = key[len(prefix):]
        value = state_dict.pop(key)
        state_dict[f'{prefix}student.{rest}'] = value
        if module.teacher is not None and not has_teacher:
            state_dict[f'{prefix}teacher.{rest}'] = value
    for name, child in module.named_children():
        child_prefix = f'{prefix}{name}.'
        if name not in ('student', 'teacher') and not any(
                k.startswith(child_prefix) for k in state_dict):
            state_dict.update((child_prefix + k, v)
                              for k, v in child.state_dict().items())


class SemiBaseSegmentor(BaseModel):
    """Teacher-student frame for semi-supervised semantic segmentation.

    Wraps the user's mmseg segmentor config (any ``EncoderDecoder`` or
    ``CascadeEncoderDecoder``) as the *student*, optionally with an EMA
    *teacher* of the same architecture, kept up to date by
    :class:`~sar_mm.engine.hooks.MeanTeacherHook`. The structure of mmdet
    3.x ``SemiBaseDetector`` (``mmdet/models/detectors/semi_base.py``),
    restated for pixel classification: :meth:`loss` owns the step
    (supervised loss, pseudo-labels, unlabelled losses, SAR) and subclasses
    implement the unlabelled losses (:meth:`loss_by_pseudo_labels`).

    The protocol, so that the semi-supervised run contains the supervised
    one: the labelled batch goes through the student alone (as in
    supervised training, with the same weight ``sup_weight=1`` by
    default); the pseudo-labels come from a dropout-free pass (the EMA
    teacher, or the student in eval mode); the unlabelled views are
    normalised with their own batch statistics and leave the batch-norm
    running statistics to the labelled batch. With the unlabelled losses
    at 0 (``unsup_weight=0``) a step is the supervised step.

    - Training batches have the branches ``sup`` (labelled),
      ``unsup_weak`` and the strong views (see :attr:`strong_branches`),
      packed by :class:`~sar_mm.datasets.transforms.MultiBranch` and
      preprocessed by
      :class:`~sar_mm.models.data_preprocessors.MultiBranchDataPreprocessor`
      (the default, wrapping the segmentor's own preprocessor).
    - Inference is the student's. The checkpoint stores the student under
      the plain segmentor's keys (``backbone.*``, ``decode_head.*``...), so
      it loads into the supervised config and predicts identically;
      ``teacher.*`` and ``sar.*`` entries are training state that such a
      load reports as unexpected and skips.
    - ``sar=dict()`` adds Semantic Anchor Regularization through the same
      core and builder as ``SAREncoderDecoder``, on the last decode head:
      one anchor step per training step, the labelled features pulled
      with their ground truth (``sup.loss_sar_pull``) and the strong
      views' with the pseudo-labels the unlabelled loss keeps
      (``unsup.loss_sar_pull``, weighted by ``sar.unsup_pull_weight``).

    Args:
        segmentor (dict): The mmseg segmentor config to train.
        semi_train_cfg (dict, optional): Overrides of
            :attr:`default_semi_train_cfg`.
        pseudo_label (dict, optional): The pseudo-labelling strategy
            (:mod:`sar_mm.models.pseudo_labelers`), e.g.
            ``dict(type='FlexMatchThreshold')``, with its own settings.
            Defaults to FixMatch's fixed threshold at
            ``semi_train_cfg.conf_thresh`` (which only that default uses).
        sar (dict, optional): ``SemanticAnchorLoss`` arguments; ``None``
            (default) trains without SAR, ``dict()`` with the reference
            setting.
        semi_test_cfg (dict, optional): ``predict_on``, the model that
            validates and tests: ``'student'`` (default) or ``'teacher'``
            (the EMA teacher, as UniMatch-V2 evaluates; needs
            ``ema_teacher=True``). The checkpoint's plain keys hold the
            student, so a teacher-evaluated run tests with its own config.
        data_preprocessor (dict, optional): A
            ``MultiBranchDataPreprocessor``, or the preprocessor it should
            wrap. Defaults to ``segmentor``'s, wrapped.
        init_cfg (dict, optional): Initialisation config.
    """

    #: Every key ``semi_train_cfg`` accepts, with its default.
    default_semi_train_cfg = dict(
        # pseudo-labels: least confidence that gives a loss, for the
        # default strategy (FixedThreshold) when pseudo_label is not given
        conf_thresh=0.95,
        # loss weights: supervised (as in supervised training), and all
        # strong views together (FixMatch's lambda_u; UniMatch's code uses
        # (L_x + L_s) / 2, the same ratio at half the learning rate)
        sup_weight=1.0,
        unsup_weight=1.0,
        # pseudo-labels from an EMA teacher (needs MeanTeacherHook)
        ema_teacher=False,
        # the unlabelled losses: off for burn_in_iters, then a linear ramp
        # to their weights over warmup_iters
        burn_in_iters=0,
        warmup_iters=0)
    sup_branch = 'sup'
    weak_branch = 'unsup_weak'
    #: Strong views of the unlabelled samples, one loss term each.
    strong_branches: Tuple[str, ...] = ('unsup_strong', )

    def __init__(self,
                 segmentor: dict,
                 semi_train_cfg: Optional[dict] = None,
                 pseudo_label: Optional[dict] = None,
                 sar: Optional[dict] = None,
                 semi_test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        owner = type(self).__name__
        self._check_segmentor_type(segmentor, owner)
        if data_preprocessor is None:
            data_preprocessor = segmentor.get('data_preprocessor') or dict(
                type='SegDataPreProcessor')
        if data_preprocessor.get('type') not in (
                'MultiBranchDataPreprocessor', MultiBranchDataPreprocessor):
            # mmengine's Runner passes a config's top-level
            # data_preprocessor (the segmentor's) here
            data_preprocessor = dict(
                type='MultiBranchDataPreprocessor',
                data_preprocessor=copy.deepcopy(data_preprocessor))
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.semi_train_cfg = self._merge_semi_train_cfg(semi_train_cfg)
        self.student = MODELS.build(segmentor)
        heads = decode_heads(self.student)
        for head in heads:
            if not isinstance(head, BaseDecodeHead):
                raise UserInputError(
                    f'{owner} needs decode heads derived from mmseg '
                    f'BaseDecodeHead; {type(head).__name__} is not one.')
        check_pixel_classifier(heads[-1], owner)
        self.teacher = None
        if self.semi_train_cfg['ema_teacher']:
            self.teacher = MODELS.build(segmentor)
            self.teacher.requires_grad_(False)
        self.predict_on = self._check_predict_on(semi_test_cfg, owner)
        self.sar = None if sar is None else build_head_sar(
            sar, heads[-1], owner, semi=True)
        if pseudo_label is None:
            pseudo_label = dict(
                type='FixedThreshold',
                threshold=self.semi_train_cfg['conf_thresh'])
        self.pseudo_labeler = build_pseudo_labeler(
            pseudo_label,
            MODELS,
            num_classes=heads[-1].num_classes,
            owner=owner)
        # set by MeanTeacherHook once the teacher holds the student's weights
        self.teacher_synced = False
        self.register_state_dict_post_hook(_student_keys_to_top)
        self.register_load_state_dict_pre_hook(_top_keys_to_student)

    @staticmethod
    def _check_segmentor_type(segmentor: dict, owner: str) -> None:
        seg_type = segmentor.get('type') if isinstance(segmentor,
                                                       dict) else None
        seg_cls = MODELS.get(seg_type) if isinstance(seg_type,
                                                     str) else seg_type
        if not isinstance(seg_cls, type) or \
                not issubclass(seg_cls, EncoderDecoder):
            name = getattr(seg_cls, '__name__', seg_type)
            raise UserInputError(
                f'{owner} trains pixel classifiers: segmentor must be the '
                f'config of an mmseg EncoderDecoder or CascadeEncoderDecoder '
                f'(your supervised model dict), got {name!r}.')
        if issubclass(seg_cls, SARSegmentorMixin):
            raise UserInputError(
                f'{owner}: give the plain segmentor type (EncoderDecoder or '
                f'CascadeEncoderDecoder), not {seg_cls.__name__}, and switch '
                f'SAR on with sar=dict() on {owner}.')

    def _check_predict_on(self, semi_test_cfg: Optional[dict],
                          owner: str) -> str:
        cfg = dict(semi_test_cfg or {})
        unknown = sorted(set(cfg) - {'predict_on'})
        if unknown:
            raise UserInputError(
                f"unknown key(s) {unknown} in semi_test_cfg of {owner}; "
                f"valid keys: ['predict_on']")
        predict_on = cfg.get('predict_on', 'student')
        if predict_on not in ('student', 'teacher'):
            raise UserInputError(
                f"semi_test_cfg.predict_on of {owner} must be 'student' or "
                f"'teacher', got {predict_on!r}")
        if predict_on == 'teacher' and self.teacher is None:
            raise UserInputError(
                f"semi_test_cfg.predict_on='teacher' of {owner} needs the "
                f"EMA teacher: set semi_train_cfg.ema_teacher=True (and "
                f"custom_hooks=[dict(type='MeanTeacherHook')]).")
        return predict_on

    def _merge_semi_train_cfg(self, semi_train_cfg: Optional[dict]) -> dict:
        cfg = dict(self.default_semi_train_cfg)
        given = dict(semi_train_cfg or {})
        moved = sorted(set(given) & set(_MOVED_KEYS))
        if moved:
            raise UserInputError(
                f'semi_train_cfg.{moved[0]} of {type(self).__name__} is no '
                f'longer a setting: {_MOVED_KEYS[moved[0]]}.')
        unknown = sorted(set(given) - set(cfg))
        if unknown:
            raise UserInputError(
                f'unknown key(s) {unknown} in semi_train_cfg of '
                f'{type(self).__name__}; valid keys: {sorted(cfg)}')
        cfg.update(given)
        check_ramp(cfg['burn_in_iters'], cfg['warmup_iters'],
                   f'semi_train_cfg of {type(self).__name__}')
        for key, value in cfg.items():
            if key.endswith('_iters'):
                continue
            if key == 'ema_teacher':
                ok, expected = isinstance(value, bool), 'True or False'
            else:
                high = 1 if key.endswith(('thresh', 'dropout')) else \
                    float('inf')
                ok = is_number_in(value, 0, high)
                expected = f'a number in [0, {high}]'
            if not ok:
                raise UserInputError(
                    f'semi_train_cfg.{key} of {type(self).__name__} must be '
                    f'{expected}, got {value!r}')
        return cfg

    def train(self, mode: bool = True) -> 'SemiBaseSegmentor':
        """mmengine calls ``train()`` every iteration; the teacher stays in
        eval mode, so its batch norms use (and keep) running statistics."""
        super().train(mode)
        if self.teacher is not None:
            self.teacher.eval()
        return self

    # ------------------------------------------------------------ inference

    def forward(self,
                inputs,
                data_samples: Optional[SampleList] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.predictor._forward(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}".')

    @property
    def predictor(self) -> EncoderDecoder:
        """The segmentor that validates and tests (``predict_on``)."""
        return self.teacher if self.predict_on == 'teacher' else self.student

    def predict(self, inputs: Tensor,
                data_samples: Optional[SampleList] = None) -> SampleList:
        """The wrapped segmentor's inference, by the student or, with
        ``predict_on='teacher'``, the EMA teacher."""
        return self.predictor.predict(inputs, data_samples)

    def unsup_ramp(self) -> float:
        """The factor of the unlabelled losses at this iteration
        (``burn_in_iters``, ``warmup_iters``)."""
        return unsup_ramp(self.semi_train_cfg['burn_in_iters'],
                          self.semi_train_cfg['warmup_iters'])

    def loss(self, inputs: Dict[str, Tensor],
             data_samples: Dict[str, SampleList]) -> dict:
        """One training step, in mmdet ``SemiBaseDetector.loss``'s order:
        the supervised loss, then the pseudo-labels, then the unlabelled
        losses (the subclass's :meth:`loss_by_pseudo_labels`), then SAR.

        The labelled batch goes through the student alone, as in supervised
        training, so with the unlabelled losses at 0 the step is the
        supervised step (its losses, gradients and batch-norm statistics).
        """
        self.check_branches(inputs, data_samples)
        sup_samples = data_samples[self.sup_branch]
        losses, sup_feats = self.loss_by_gt(inputs[self.sup_branch],
                                            sup_samples)
        pseudo = self.get_pseudo_labels(inputs[self.weak_branch],
                                        data_samples[self.weak_branch])
        losses['unsup.mask_ratio'] = pseudo.keep.sum() / \
            pseudo.valid.sum().clamp(min=1)
        unsup_losses, pulled = self.loss_by_pseudo_labels(
            inputs, data_samples, pseudo)
        losses.update(unsup_losses)
        if self.sar is not None:
            losses.update(
                self.sar_losses(sup_feats, self.stack_maps(sup_samples),
                                *pulled))
        ramp = self.unsup_ramp()
        return {
            k: ramp * v if k.startswith('unsup.loss') else v
            for k, v in losses.items()
        }

    def loss_by_gt(self, images: Tensor,
                   samples: SampleList) -> Tuple[dict, Tensor]:
        """The segmentor's own losses on the labelled batch (``sup.*``,
        times ``sup_weight``), and its last head's classifier input."""
        _, feats, losses = self.student_pass(images, samples)
        weight = self.semi_train_cfg['sup_weight']
        losses = {k: weight * v if 'loss' in k else v
                  for k, v in losses.items()}
        return add_prefix(losses, 'sup'), feats

    def get_pseudo_labels(self, weak: Tensor,
                          samples: SampleList) -> WeakPrediction:
        """Pseudo-labels of the weak view, without gradient, from the EMA
        teacher or the student in eval mode (no dropout, running batch-norm
        statistics), kept and weighted by the pseudo-labelling strategy."""
        with torch.no_grad():
            logits = self.weak_logits(weak)
            probs = self.upsample(logits.float(), weak.shape[2:]).softmax(1)
        valid = self.valid_mask(samples)
        labels, keep, weight = self.pseudo_labeler(probs, valid)
        pull = keep if self.sar is None else self.sar.unsup_pull_mask(
            keep, probs)
        return WeakPrediction(labels, keep, weight, valid, pull)

    def loss_by_pseudo_labels(
            self, inputs: Dict[str, Tensor],
            data_samples: Dict[str, SampleList],
            pseudo: WeakPrediction) -> Tuple[dict, Tuple[Tensor, ...]]:
        """The unlabelled losses (keys ``unsup.loss*``, before the
        burn-in ramp), and what SAR pulls: the student's classifier input
        (M, D, h, w), its pseudo-labels (M, H, W) and where they may be
        pulled (M, H, W)."""
        raise NotImplementedError

    # ------------------------------------------------------------- helpers

    @property
    def last_head(self) -> BaseDecodeHead:
        return last_decode_head(self.student)

    def check_branches(self, inputs: Dict[str, Tensor],
                       data_samples: Dict[str, SampleList]) -> None:
        needed = (self.sup_branch, self.weak_branch) + self.strong_branches
        if not isinstance(inputs, dict) or \
                any(b not in inputs for b in needed):
            found = sorted(inputs) if isinstance(inputs, dict) else \
                type(inputs).__name__
            raise UserInputError(
                f'{type(self).__name__} trains on batches with the branches '
                f'{list(needed)} (MultiBranch in the labelled and unlabelled '
                f'pipelines, MultiSourceSampler in the dataloader), got '
                f'{found}.')
        sizes = {b: tuple(inputs[b].shape[2:]) for b in needed}
        if len(set(sizes.values())) > 1:
            raise UserInputError(
                f'the branches of a training batch differ in image size '
                f'({sizes}); set the data preprocessor\'s size to the crop '
                f'size so that every branch is padded to it.')
        for branch in self.strong_branches:
            if 'cutmix_box' not in data_samples[branch][0].metainfo:
                raise UserInputError(
                    f"the strong view {branch!r} carries no 'cutmix_box': "
                    f"end its pipeline with dict(type='RandomCutMixBox') "
                    f"and PackSegInputs(meta_keys=(..., 'cutmix_box')).")

    def upsample(self, logits: Tensor, size: torch.Size) -> Tensor:
        return resize(
            logits,
            size=size,
            mode='bilinear',
            align_corners=self.last_head.align_corners)

    def student_pass(
        self,
        images: Tensor,
        sup_samples: Optional[SampleList] = None,
        feature_fn: Optional[Callable[[Tensor], Tensor]] = None
    ) -> Tuple[Tensor, Tensor, dict]:
        """One train-mode forward of the student.

        Args:
            images (Tensor): (N, 3, H, W).
            sup_samples (list, optional): The data samples of labelled
                ``images``; their decode and auxiliary losses (mmseg's own,
                as ``EncoderDecoder.loss`` computes them) are returned.
                Without them, the batch is unlabelled and leaves the
                batch-norm running statistics alone.
            feature_fn (Callable, optional): Applied to every encoder
                feature before the decoder (UniMatch's perturbation).

        Returns:
            tuple: Last-head logits (N, C, h, w), that head's classifier
            input (N, D, h, w), and the supervised losses.
        """
        with nullcontext() if sup_samples else running_stats_frozen(
                self.student):
            feats = self.student.extract_feat(images)
            if feature_fn is not None:
                feats = [feature_fn(f) for f in feats]
            with capture_classifier_input(self.last_head) as captured:
                stages = decode_stages(self.student, feats)
        losses = {}
        if sup_samples:
            heads = decode_heads(self.student)
            for i, (head, logits) in enumerate(zip(heads, stages)):
                name = 'decode' if len(heads) == 1 else f'decode_{i}'
                losses.update(
                    add_prefix(head.loss_by_feat(logits, sup_samples), name))
            if self.student.with_auxiliary_head:
                losses.update(
                    self.student._auxiliary_head_forward_train(
                        feats, sup_samples))
        return stages[-1], captured[-1], losses

    @torch.no_grad()
    def weak_logits(self, images: Tensor) -> Tensor:
        """Last-head logits of the EMA teacher (always in eval mode) or of
        the student, switched to eval mode for this pass only."""
        model = self.student if self.teacher is None else self.teacher
        if model is self.teacher and not self.teacher_synced:
            raise UserInputError(
                f'{type(self).__name__} has ema_teacher=True, but no '
                f"MeanTeacherHook updates the teacher: add custom_hooks "
                f"= [dict(type='MeanTeacherHook')] to the config.")
        with eval_mode(model):
            return decode_stages(model, model.extract_feat(images))[-1]

    @staticmethod
    def stack_maps(samples: SampleList) -> Tensor:
        return torch.stack([s.gt_sem_seg.data[0] for s in samples])

    def valid_mask(self, samples: SampleList) -> Tensor:
        """True on image pixels, False on padding, from the empty maps of
        ``LoadEmptySegMap`` padded by the data preprocessor."""
        pad = getattr(self.data_preprocessor.data_preprocessor,
                      'seg_pad_val', 255)
        return self.stack_maps(samples) != pad

    @staticmethod
    def box_masks(samples: SampleList, like: Tensor) -> Tensor:
        """(N, H, W) bool: True inside each view's CutMix box."""
        # built on the CPU and copied without blocking: torch.tensor(...,
        # device=cuda) would wait for the stream (a host sync every step)
        boxes = torch.tensor([s.metainfo['cutmix_box'] for s in samples
                              ]).to(like.device, non_blocking=True)
        x1, y1, x2, y2 = (c[:, None, None] for c in boxes.unbind(1))
        ys = torch.arange(like.shape[-2], device=like.device)[:, None]
        xs = torch.arange(like.shape[-1], device=like.device)[None]
        return (xs >= x1) & (xs < x2) & (ys >= y1) & (ys < y2)

    @staticmethod
    def cutmix(box: Tensor, values: Tensor) -> Tensor:
        """Paste, inside each sample's box, the same place of the batch's
        mirror sample (``flip(0)``, UniMatch-V2 ``fixmatch.py``): images
        (N, C, H, W) or per-pixel maps (N, H, W) alike."""
        mask = box if values.dim() == box.dim() else box[:, None]
        return torch.where(mask, values.flip(0), values)

    def sar_losses(self, sup_feats: Tensor, sup_labels: Tensor,
                   unsup_feats: Tensor, pseudo_labels: Tensor,
                   keep: Tensor) -> dict:
        """SAR's losses through its one driver: the labelled pull with the
        ground truth, the unlabelled pull with the kept pseudo-labels.

        Args:
            sup_feats (Tensor): Labelled classifier inputs (N, D, h, w).
            sup_labels (Tensor): Their ground truth (N, H, W).
            unsup_feats (Tensor): Strong-view classifier inputs (M, D, h, w).
            pseudo_labels (Tensor): Their (CutMixed) pseudo-labels (M, H, W).
            keep (Tensor): (M, H, W) bool: kept by the pseudo-label loss
                and not padding.

        The anchor step and the labelled pull are weighted by
        ``sup_weight``, as the segmentor's own labelled losses; the
        unlabelled pull by ``sar.unsup_pull_weight`` (and the burn-in
        ramp).
        """
        targets = pool_pseudo_labels(pseudo_labels, keep,
                                     unsup_feats.shape[2:],
                                     self.sar.ignore_index[0])
        sup_weight = self.semi_train_cfg['sup_weight']
        losses = self.sar.losses(
            anchor_classifier(self.last_head), {
                'sup': (sup_feats, sup_labels, sup_weight),
                'unsup': (unsup_feats, targets, self.sar.unsup_pull_weight)
            })
        # SAR's supervised terms weigh as the supervised loss does
        losses['loss_sar_anchor'] = sup_weight * losses['loss_sar_anchor']
        return losses
