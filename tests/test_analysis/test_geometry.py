"""The geometry numbers on features whose answer is known."""
import math

import numpy as np
import pytest
import torch

from sar_mm.analysis.geometry import feature_geometry, simplex_angle


def simplex(num_classes: int, dim: int) -> torch.Tensor:
    """Vertices of a regular simplex centred at 0, randomly rotated into
    ``dim`` dimensions."""
    vertices = torch.eye(num_classes, dtype=torch.float64)
    vertices = vertices - vertices.mean(0)
    rotation, _ = torch.linalg.qr(
        torch.randn(dim, dim, dtype=torch.float64,
                    generator=torch.Generator().manual_seed(0)))
    return torch.cat(
        [vertices, vertices.new_zeros(num_classes, dim - num_classes)],
        1) @ rotation


@pytest.mark.parametrize('num_classes', [2, 3, 10])
def test_collapsed_simplex_is_exact(num_classes):
    means = simplex(num_classes, dim=16)
    labels = torch.arange(num_classes).repeat_interleave(5)
    feats = means[labels]  # every class collapsed to its mean
    g = feature_geometry(feats, labels, num_classes, classifier=means * 3,
                         anchors=means)
    angle = math.degrees(math.acos(-1 / (num_classes - 1)))
    assert simplex_angle(num_classes) == pytest.approx(angle)
    assert g.overall['min_angle'] == pytest.approx(angle, abs=1e-6)
    assert g.overall['mean_angle'] == pytest.approx(angle, abs=1e-6)
    np.testing.assert_allclose(g.per_class['min_angle'], angle, atol=1e-6)
    assert g.overall['simplex_dist'] == pytest.approx(0, abs=1e-9)
    assert g.overall['norm_cv'] == pytest.approx(0, abs=1e-9)
    assert g.overall['nc1'] == pytest.approx(0, abs=1e-12)
    np.testing.assert_allclose(g.per_class['compactness'], 1)
    np.testing.assert_allclose(g.per_class['alignment'], 1)
    np.testing.assert_allclose(g.per_class['anchor_cos'], 1)
    np.testing.assert_allclose(g.per_class['anchor_dist'], 0, atol=1e-12)


def test_a_shifted_simplex_is_still_a_simplex():
    """The angles are between centred means: a common offset (e.g. of
    post-ReLU features) changes nothing."""
    means = simplex(4, dim=8) + 5
    labels = torch.arange(4)
    g = feature_geometry(means, labels, 4)
    assert g.overall['simplex_dist'] == pytest.approx(0, abs=1e-9)
    assert g.overall['min_angle'] == pytest.approx(simplex_angle(4))


def test_nc1_by_hand():
    """Two classes on a line at -1 and +1 with spreads 0.5 and 1: Sigma_B =
    1, so nc1_c = var_c / K and NC1 = mean(var) / K."""
    feats = torch.tensor([[-1.5], [-0.5], [0.], [2.]], dtype=torch.float64)
    labels = torch.tensor([0, 0, 1, 1])
    g = feature_geometry(feats, labels, 2)
    np.testing.assert_allclose(g.per_class['nc1'], [0.25 / 2, 1.0 / 2])
    assert g.overall['nc1'] == pytest.approx((0.25 + 1.0) / 2 / 2)
    # the centred means are opposite: 180 degrees, a 2-vertex simplex
    assert g.overall['min_angle'] == pytest.approx(180)


def test_compactness_alignment_and_anchors_by_hand():
    # class 0: (1, 0) and (0, 1), mean (.5, .5): cos 1/sqrt(2) each
    # class 1: (-2, 0) twice, mean (-2, 0): cos 1
    feats = torch.tensor([[1., 0.], [0., 1.], [-2., 0.], [-2., 0.]])
    labels = torch.tensor([0, 0, 1, 1])
    # centred means: (1.25, .25) and (-1.25, -.25)
    classifier = torch.tensor([[1., 0.], [-1., 0.]])  # w_bar = 0
    anchors = torch.tensor([[0.5, 0.5], [0., 2.]])
    g = feature_geometry(feats, labels, 2, classifier, anchors)
    np.testing.assert_allclose(g.per_class['compactness'],
                               [1 / math.sqrt(2), 1])
    cos = 1.25 / math.hypot(1.25, 0.25)
    np.testing.assert_allclose(g.per_class['alignment'], [cos, cos])
    np.testing.assert_allclose(g.per_class['anchor_cos'], [1, 0], atol=1e-7)
    np.testing.assert_allclose(g.per_class['anchor_dist'],
                               [0, math.hypot(2, 2) / 2], atol=1e-7)


def test_classifier_offset_does_not_change_alignment():
    """Softmax ignores a vector added to every w_c; so does the alignment."""
    feats = torch.randn(30, 5, generator=torch.Generator().manual_seed(1))
    labels = torch.arange(3).repeat(10)
    w = torch.randn(3, 5, generator=torch.Generator().manual_seed(2))
    a = feature_geometry(feats, labels, 3, classifier=w)
    b = feature_geometry(feats, labels, 3, classifier=w + 7)
    np.testing.assert_allclose(a.per_class['alignment'],
                               b.per_class['alignment'], atol=1e-6)


def test_absent_classes_and_groups():
    feats = torch.tensor([[1., 0.], [0., 1.], [-1., -1.]])
    labels = torch.tensor([0, 2, 3])  # class 1 has no feature
    g = feature_geometry(feats, labels, 4)
    assert g.num_features.tolist() == [1, 0, 1, 1]
    assert np.isnan(g.per_class['nc1'][1])
    assert not np.isnan(g.per_class['nc1'][[0, 2, 3]]).any()
    assert g.overall['simplex_angle'] == pytest.approx(simplex_angle(3))
    means = g.group_means(dict(head=[0, 1], tail=[1]))
    assert means['head']['min_angle'] == g.per_class['min_angle'][0]
    assert np.isnan(means['tail']['min_angle'])


def test_wrong_shapes_are_refused():
    feats, labels = torch.zeros(4, 3), torch.tensor([0, 0, 1, 1])
    with pytest.raises(ValueError, match=r'anchors must be \(2, 3\)'):
        feature_geometry(feats, labels, 2, anchors=torch.zeros(2, 4))
    with pytest.raises(ValueError, match='need'):
        feature_geometry(feats, labels[:3], 2)
