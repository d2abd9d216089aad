"""Pre-classifier features of a segmentor or classifier on a dataset split.

The feature of a sample is what the model's linear classifier takes:

- **segmentation** (any mmseg decode head): the decode feature handed to
  ``cls_seg`` (before dropout; the one SAR pulls to its anchors), read at
  each labelled pixel by bilinear interpolation at the pixel's position,
  which is how mmseg upsamples the logits (``conv_seg`` is a 1x1 linear
  map, so it commutes with the interpolation). The image is encoded whole
  (as ``test_cfg.mode='whole'``). Exact when the test pipeline does not
  resize the image; otherwise it interpolates once where mmseg resizes
  twice (to the padded input, then to the original size).
- **classification** (any mmpretrain classifier with a ``pre_logits``
  head): ``head.pre_logits(model.extract_feat(inputs))``, one per image.

At most ``max_per_class`` features of each class are kept: a uniform random
sample without replacement over the whole split (each candidate gets a
random key from a seeded generator; the smallest keys of each class are
kept), so the result depends on the seed only, not on the batch size.
"""
import copy
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DATASETS
from mmengine.runner import Runner
from torch import Tensor, nn
from torch.utils.data import DataLoader, Subset
from tqdm import tqdm

from ..models.sar import capture_classifier_input
from ..utils.errors import UserInputError
from .class_vectors import classifier_head


@dataclass
class FeatureSet:
    """Sampled features of one model on one split.

    Attributes:
        features (Tensor): ``(N, D)`` float32 features on the CPU, grouped
            by class.
        labels (Tensor): ``(N, )`` int64 class of each feature.
        label_counts (np.ndarray): ``(C, )`` labelled pixels (segmentation)
            or images (classification) of each class in the split, before
            sampling.
        num_images (int): Images the features come from.
        task (str): ``'segmentation'`` or ``'classification'``.
    """
    features: Tensor
    labels: Tensor
    label_counts: np.ndarray
    num_images: int
    task: str

    @property
    def num_classes(self) -> int:
        return len(self.label_counts)


def bottom_k_per_class(labels: Tensor, keys: Tensor, k: int) -> Tensor:
    """Indices of the (at most) ``k`` smallest keys of every class.

    Args:
        labels (Tensor): ``(P, )`` class of each candidate.
        keys (Tensor): ``(P, )`` distinct sort keys.
        k (int): The cap per class.

    Returns:
        Tensor: Indices into ``labels``, ordered by class then key.
    """
    order = torch.argsort(keys)
    order = order[torch.argsort(labels[order], stable=True)]
    sorted_labels = labels[order]
    rank = torch.arange(len(order)) - torch.searchsorted(
        sorted_labels, sorted_labels)
    return order[rank < k]


class PerClassSample:
    """A uniform random sample of at most ``cap`` items per class, drawn
    from items that arrive in batches, holding only the sample.

    Args:
        num_classes (int): Number of classes C.
        cap (int): Items kept per class.
        seed (int): Seed of the keys.
    """

    def __init__(self, num_classes: int, cap: int, seed: int):
        if cap < 1:
            raise UserInputError(f'--max-per-class must be >= 1, got {cap}')
        self.num_classes = num_classes
        self.cap = cap
        self.generator = torch.Generator().manual_seed(seed)
        self.counts = torch.zeros(num_classes, dtype=torch.long)
        self.labels = torch.zeros(0, dtype=torch.long)
        self.keys = torch.zeros(0, dtype=torch.float64)
        self.features: Optional[Tensor] = None

    def add(self, labels: Tensor, features_of: Callable[[Tensor],
                                                        Tensor]) -> None:
        """Offer a batch of candidates.

        Args:
            labels (Tensor): ``(P, )`` CPU int64 classes in ``[0, C)``.
            features_of (Callable): Maps indices into ``labels`` to their
                ``(n, D)`` features; called only for the kept ones.
        """
        self.counts += torch.bincount(labels, minlength=self.num_classes)
        keys = torch.rand(
            len(labels), generator=self.generator, dtype=torch.float64)
        # thin the batch first: only its own bottom-k can enter the sample
        fresh = bottom_k_per_class(labels, keys, self.cap)
        num_old = len(self.labels)
        keep = bottom_k_per_class(
            torch.cat([self.labels, labels[fresh]]),
            torch.cat([self.keys, keys[fresh]]), self.cap)
        old, new = keep[keep < num_old], fresh[keep[keep >= num_old] - num_old]
        new_features = features_of(new).float().cpu()
        self.features = new_features if self.features is None else torch.cat(
            [self.features[old], new_features])
        self.labels = torch.cat([self.labels[old], labels[new]])
        self.keys = torch.cat([self.keys[old], keys[new]])

    def result(self) -> tuple:
        """``(features, labels)`` ordered by class then key."""
        if self.features is None or not len(self.labels):
            raise UserInputError(
                'no labelled sample was found in the analysed images.')
        order = bottom_k_per_class(self.labels, self.keys, self.cap)
        return self.features[order], self.labels[order]


def _source_coords(dst: Tensor, dst_size: Tensor, src_size: Tensor,
                   align_corners: bool) -> Tensor:
    """Where output coordinate ``dst`` of a bilinear resize from
    ``src_size`` to ``dst_size`` reads its input (PyTorch's convention)."""
    if align_corners:
        return dst * (src_size - 1) / (dst_size - 1).clamp(min=1)
    return ((dst + 0.5) * src_size / dst_size - 0.5).clamp(min=0)


def _bilinear_at(feats: Tensor, img: Tensor, y: Tensor, x: Tensor) -> Tensor:
    """``feats`` (B, D, h, w) bilinearly read at (y, x) of image ``img``."""
    h, w = feats.shape[-2:]
    y, x = y.clamp(0, h - 1), x.clamp(0, w - 1)
    y0, x0 = y.floor().long(), x.floor().long()
    y1, x1 = (y0 + 1).clamp(max=h - 1), (x0 + 1).clamp(max=w - 1)
    ty, tx = (y - y0)[:, None], (x - x0)[:, None]
    grid = feats.permute(0, 2, 3, 1)
    top = grid[img, y0, x0] * (1 - tx) + grid[img, y0, x1] * tx
    bottom = grid[img, y1, x0] * (1 - tx) + grid[img, y1, x1] * tx
    return top * (1 - ty) + bottom * ty


def _segmentation_batch(model: nn.Module, data: dict,
                        sample: PerClassSample) -> int:
    head = classifier_head(model)
    data = model.data_preprocessor(data, False)
    inputs, samples = data['inputs'], data['data_samples']
    with capture_classifier_input(head) as captured:
        model.encode_decode(inputs, [s.metainfo for s in samples])
    feats = captured[-1].float()
    device = feats.device

    gts = [s.gt_sem_seg.data[0].cpu().long() for s in samples]
    sizes = torch.tensor([g.shape for g in gts])
    labels = torch.cat([g.flatten() for g in gts])
    img = torch.repeat_interleave(
        torch.arange(len(gts)), sizes.prod(1))
    valid = (labels >= 0) & (labels < sample.num_classes) & (
        labels != head.ignore_index)
    candidates = valid.nonzero()[:, 0]

    # per image: padding (left, right, top, bottom) and flip, as mmseg's
    # postprocess_result undoes them
    pads = torch.tensor([
        s.metainfo.get('img_padding_size', s.metainfo.get(
            'padding_size', [0] * 4)) for s in samples
    ], dtype=torch.float64)
    flips = [s.metainfo.get('flip_direction') if s.metainfo.get('flip')
             else None for s in samples]
    flip_x = torch.tensor([f == 'horizontal' for f in flips])
    flip_y = torch.tensor([f == 'vertical' for f in flips])
    offsets = torch.cumsum(sizes.prod(1), 0) - sizes.prod(1)
    pad_h, pad_w = inputs.shape[-2:]
    feat_h, feat_w = feats.shape[-2:]
    align = head.align_corners

    def features_of(picked: Tensor) -> Tensor:
        idx = candidates[picked]
        i = img[idx]
        local = idx - offsets[i]
        ori_h, ori_w = sizes[i, 0].double(), sizes[i, 1].double()
        y, x = (local // sizes[i, 1]).double(), (local % sizes[i, 1]).double()
        left, right, top, bottom = pads[i].T
        crop_h, crop_w = pad_h - top - bottom, pad_w - left - right
        y = _source_coords(y, ori_h, crop_h, align)
        x = _source_coords(x, ori_w, crop_w, align)
        y, x = torch.minimum(y, crop_h - 1), torch.minimum(x, crop_w - 1)
        y = torch.where(flip_y[i], crop_h - 1 - y, y) + top
        x = torch.where(flip_x[i], crop_w - 1 - x, x) + left
        y = _source_coords(y, torch.tensor(float(pad_h)),
                           torch.tensor(float(feat_h)), align)
        x = _source_coords(x, torch.tensor(float(pad_w)),
                           torch.tensor(float(feat_w)), align)
        return _bilinear_at(feats, i.to(device), y.float().to(device),
                            x.float().to(device))

    sample.add(labels[candidates], features_of)
    return len(gts)


def _classification_batch(model: nn.Module, data: dict,
                          sample: PerClassSample) -> int:
    head = classifier_head(model)
    data = model.data_preprocessor(data, False)
    feats = head.pre_logits(model.extract_feat(data['inputs']))
    if feats.ndim != 2:
        raise UserInputError(
            f'{type(head).__name__}.pre_logits gave features of shape '
            f'{tuple(feats.shape)}, not one vector per image.')
    labels = torch.cat([s.gt_label for s in data['data_samples']]).cpu()
    if len(labels) != len(feats):
        raise UserInputError(
            'feature analysis needs one class label per image (no '
            'multi-label datasets).')
    labels = labels.long()
    sample.add(labels, lambda picked: feats[picked.to(feats.device)])
    return len(labels)


def task_of(model: nn.Module) -> str:
    """``'segmentation'`` for mmseg segmentors, ``'classification'`` for
    mmpretrain classifiers."""
    from mmpretrain.models.classifiers import BaseClassifier
    from mmseg.models.segmentors import BaseSegmentor
    if isinstance(model, BaseSegmentor):
        return 'segmentation'
    if isinstance(model, BaseClassifier):
        return 'classification'
    raise UserInputError(
        f'{type(model).__name__} is neither an mmseg segmentor nor an '
        f'mmpretrain classifier; the analysis tools read those two.')


def build_dataloader(cfg: Config,
                     split: str = 'val',
                     max_images: Optional[int] = None) -> DataLoader:
    """The config's ``<split>_dataloader``, on at most ``max_images``
    images spread evenly over the dataset (so that every part of a dataset
    ordered by class is seen)."""
    loader_cfg = copy.deepcopy(cfg.get(f'{split}_dataloader'))
    if not loader_cfg or 'dataset' not in loader_cfg:
        raise UserInputError(f'the config has no {split}_dataloader.')
    dataset = DATASETS.build(loader_cfg['dataset'])
    if hasattr(dataset, 'full_init'):
        dataset.full_init()
    if max_images is not None:
        if max_images < 1:
            raise UserInputError(
                f'--max-images must be >= 1, got {max_images}')
        if max_images < len(dataset):
            indices = np.unique(
                np.linspace(0, len(dataset) - 1, max_images).round()).astype(
                    int).tolist()
            dataset = dataset.get_subset(indices) if hasattr(
                dataset, 'get_subset') else Subset(dataset, indices)
    loader_cfg['dataset'] = dataset
    return Runner.build_dataloader(loader_cfg)


@torch.no_grad()
def extract_features(model: nn.Module,
                     loader: DataLoader,
                     max_per_class: int = 1000,
                     seed: int = 0,
                     progress: bool = True) -> FeatureSet:
    """Sample the pre-classifier features of ``model`` on ``loader``.

    Args:
        model (nn.Module): An mmseg segmentor or mmpretrain classifier in
            eval mode.
        loader (DataLoader): Batches of the analysed split (e.g. from
            :func:`build_dataloader`).
        max_per_class (int): Features kept per class. Defaults to 1000.
        seed (int): Seed of the sampling. Defaults to 0.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        FeatureSet: The sampled features.
    """
    task = task_of(model)
    head = classifier_head(model)
    sample = PerClassSample(head.num_classes, max_per_class, seed)
    step = _segmentation_batch if task == 'segmentation' else \
        _classification_batch
    num_images = 0
    for data in tqdm(loader, desc='features', unit='batch',
                     disable=not progress):
        num_images += step(model, data, sample)
    features, labels = sample.result()
    return FeatureSet(features, labels, sample.counts.numpy(), num_images,
                      task)
