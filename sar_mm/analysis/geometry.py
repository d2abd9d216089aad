"""Geometry of class features: compactness, separability, alignment.

Every number is computed from a set of features ``x_i`` (D-vectors) with
class labels ``y_i``, over the ``K`` classes that have at least one feature
(absent classes get NaN per class and are left out of every overall value).
With ``n_c`` the features of class ``c``:

- class mean ``mu_c = mean_{y_i = c} x_i``; global mean
  ``mu_G = mean_c mu_c`` (classes weighted equally: with long-tailed and
  per-class capped samples a pooled mean would depend on the sampling);
  centred mean ``m_c = mu_c - mu_G``.
- **compactness** ``= mean_{y_i = c} cos(x_i, mu_c)``: 1 when every feature
  points the way of its class mean.
- **NC1** (within-class variability collapse; Papyan, Han and Donoho,
  "Prevalence of neural collapse during the terminal phase of deep learning
  training", PNAS 2020): ``NC1 = tr(Sigma_W Sigma_B^+) / K`` with the
  within-class covariance ``Sigma_W = mean_c Sigma_c``,
  ``Sigma_c = mean_{y_i = c} (x_i - mu_c)(x_i - mu_c)^T``, the between-class
  covariance ``Sigma_B = mean_c m_c m_c^T`` and ``^+`` the Moore-Penrose
  pseudo-inverse. The within-class spread measured in units of the spread
  of the class means; 0 when every class has collapsed to its mean. Per
  class, ``nc1_c = tr(Sigma_c Sigma_B^+) / K``, so NC1 is their mean. (Papyan
  et al. pool ``Sigma_W`` and ``mu_G`` over samples of balanced data; here
  classes are weighted equally, which is the same on balanced data.)
- **angles** between the centred class means ``m_c``, in degrees: per class
  the smallest (``min_angle``, to the nearest other class) and the mean
  (``mean_angle``) angle to the other classes; overall the smallest and
  the mean over all pairs. A regular simplex (the maximally separated
  arrangement neural collapse converges to) has every angle equal to
  ``arccos(-1 / (K - 1))``.
- **simplex distance** ``= ||G - E||_F / ||E||_F``, with ``G`` the cosines
  between the ``m_c`` (``K x K``) and ``E = K/(K-1) (I - 11^T/K)`` those of
  a regular simplex: 0 for a regular simplex (of any size), larger the
  further the pairwise angles are from the simplex's.
- **norm CV**: coefficient of variation (std / mean) of ``||m_c||``; 0 when
  the centred means are equally long, as in a simplex.
- **classifier alignment** ``= cos(w_c - w_bar, m_c)``, with ``w_c`` the
  classifier's vector of class ``c`` and ``w_bar`` their mean over all
  classes (softmax does not change when one vector is added to every
  ``w_c``). 1 when the classifier points at the class means (Papyan et al.'s
  self-duality, NC3).
- **anchor cosine** ``= cos(mu_c, a_c)`` and **anchor distance**
  ``= ||mu_c - a_c|| / ||a_c||`` to a class anchor ``a_c`` (SAR's semantic
  anchors, which pull the raw features, hence the raw means).
"""
import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np
import torch
from torch import Tensor

#: Per-class numbers, in the order of the printed table.
PER_CLASS_METRICS = ('compactness', 'nc1', 'min_angle', 'mean_angle',
                     'alignment', 'anchor_cos', 'anchor_dist')
#: Overall numbers.
OVERALL_METRICS = ('compactness', 'nc1', 'min_angle', 'mean_angle',
                   'simplex_angle', 'simplex_dist', 'norm_cv', 'alignment',
                   'anchor_cos', 'anchor_dist')
_EPS = 1e-12
# relative cut-off of the pseudo-inverse: Sigma_B has rank K - 1 (the
# centred means sum to 0), the null direction must not be inverted
_PINV_RTOL = 1e-8


@dataclass
class Geometry:
    """The numbers of :func:`feature_geometry`.

    Attributes:
        num_features (np.ndarray): Features of each class, shape ``(C, )``.
        per_class (dict[str, np.ndarray]): Each of
            :data:`PER_CLASS_METRICS` that could be computed, shape
            ``(C, )``, NaN for classes without features.
        overall (dict[str, float]): Each of :data:`OVERALL_METRICS` that
            could be computed.
    """
    num_features: np.ndarray
    per_class: Dict[str, np.ndarray] = field(default_factory=dict)
    overall: Dict[str, float] = field(default_factory=dict)

    def group_means(self, groups: Dict[str, List[int]]
                    ) -> Dict[str, Dict[str, float]]:
        """Mean of every per-class number over the classes of each group
        that have features (NaN for a group without any)."""
        means = {}
        for name, members in groups.items():
            means[name] = {}
            for metric, values in self.per_class.items():
                picked = values[list(members)]
                picked = picked[~np.isnan(picked)]
                means[name][metric] = float(
                    picked.mean()) if picked.size else float('nan')
        return means


def _unit(x: Tensor) -> Tensor:
    return x / x.norm(dim=-1, keepdim=True).clamp(min=_EPS)


def _cosine(a: Tensor, b: Tensor) -> Tensor:
    """Row-wise cosine of two (n, D) tensors."""
    return (_unit(a) * _unit(b)).sum(-1)


def simplex_angle(num_classes: int) -> float:
    """The angle (degrees) between any two vertices of a regular simplex of
    ``num_classes`` vertices centred at the origin: ``arccos(-1/(K-1))``."""
    return math.degrees(math.acos(-1 / (num_classes - 1)))


def feature_geometry(features: Tensor,
                     labels: Tensor,
                     num_classes: int,
                     classifier: Optional[Tensor] = None,
                     anchors: Optional[Tensor] = None) -> Geometry:
    """Compactness, NC1, separability, classifier alignment and anchor
    distance of labelled features (definitions: the module docstring).

    Computed in float64 on the device of ``features``; vectorised over
    features and classes.

    Args:
        features (Tensor): ``(N, D)`` features.
        labels (Tensor): ``(N, )`` class indices in ``[0, num_classes)``.
        num_classes (int): Number of classes C.
        classifier (Tensor, optional): ``(C, D)`` classifier vectors, for
            the alignment.
        anchors (Tensor, optional): ``(C, D)`` class anchors in the feature
            space, for the anchor cosine and distance.

    Returns:
        Geometry: Per-class and overall numbers.
    """
    if features.ndim != 2 or labels.shape != features.shape[:1]:
        raise ValueError(f'need (N, D) features and (N, ) labels, got '
                         f'{tuple(features.shape)} and {tuple(labels.shape)}')
    x = features.double()
    labels = labels.long().to(x.device)
    dim = x.shape[1]
    counts = torch.bincount(labels, minlength=num_classes)[:num_classes]
    present = counts > 0
    num_present = int(present.sum())

    sums = x.new_zeros(num_classes, dim).index_add_(0, labels, x)
    means = sums / counts.clamp(min=1)[:, None]
    nan = torch.full((num_classes, ), float('nan'), dtype=x.dtype,
                     device=x.device)

    def class_vectors(name: str, vectors: Tensor) -> Tensor:
        vectors = vectors.to(x).reshape(len(vectors), -1)
        if vectors.shape != (num_classes, dim):
            raise ValueError(
                f'{name} must be ({num_classes}, {dim}) for {num_classes} '
                f'classes of {dim}-d features, got {tuple(vectors.shape)}')
        return vectors

    def per_class_mean(values: Tensor) -> Tensor:
        """Mean over the features of each class of a per-feature value."""
        total = x.new_zeros(num_classes).index_add_(0, labels, values)
        return torch.where(present, total / counts.clamp(min=1), nan)

    per_class = dict(
        compactness=per_class_mean(_cosine(x, means[labels])))
    overall = {}
    if num_present >= 2:
        mean_g = means[present].mean(0)
        centred = torch.where(present[:, None], means - mean_g, 0.)
        # x^T Sigma_B^+ x = K ||x^T pinv(M)||^2 for Sigma_B = M^T M / K
        pinv = torch.linalg.pinv(centred[present], rtol=_PINV_RTOL)
        projected = (x - means[labels]) @ pinv
        per_class['nc1'] = per_class_mean(projected.pow(2).sum(1))

        unit = _unit(centred)
        cos = unit @ unit.T
        # 2 atan2(|u - v|, |u + v|): accurate near 0 and 180 degrees too,
        # where arccos of the cosine loses half the digits
        angles = torch.rad2deg(2 * torch.atan2(
            torch.cdist(unit, unit), torch.cdist(unit, -unit)))
        pair = present[:, None] & present[None, :] & ~torch.eye(
            num_classes, dtype=torch.bool, device=x.device)
        per_class['min_angle'] = torch.where(
            present,
            torch.where(pair, angles, float('inf')).min(1).values, nan)
        per_class['mean_angle'] = torch.where(
            present, (angles * pair).sum(1) / pair.sum(1).clamp(min=1), nan)
        overall['min_angle'] = float(angles[pair].min())
        overall['mean_angle'] = float(angles[pair].mean())
        overall['simplex_angle'] = simplex_angle(num_present)

        gram = cos[present][:, present]
        k = num_present
        simplex = k / (k - 1) * (
            torch.eye(k, dtype=x.dtype, device=x.device) - 1 / k)
        overall['simplex_dist'] = float(
            (gram - simplex).norm() / simplex.norm())
        norms = centred[present].norm(dim=1)
        overall['norm_cv'] = float(norms.std(unbiased=False) /
                                   norms.mean().clamp(min=_EPS))
        if classifier is not None:
            w = class_vectors('classifier', classifier)
            per_class['alignment'] = torch.where(
                present, _cosine(w - w.mean(0), centred), nan)
    if anchors is not None:
        a = class_vectors('anchors', anchors)
        per_class['anchor_cos'] = torch.where(present, _cosine(means, a),
                                              nan)
        per_class['anchor_dist'] = torch.where(
            present, (means - a).norm(dim=1) / a.norm(dim=1).clamp(min=_EPS),
            nan)

    per_class = {
        name: per_class[name].cpu().numpy()
        for name in PER_CLASS_METRICS if name in per_class
    }
    for name, values in per_class.items():
        if name not in overall:
            overall[name] = float(np.nanmean(values))
    overall = {
        name: overall[name]
        for name in OVERALL_METRICS if name in overall
    }
    return Geometry(
        num_features=counts.cpu().numpy(),
        per_class=per_class,
        overall=overall)
