import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from sar_mm.models.heads import BCLHead
from sar_mm.models.losses import BalancedSupConLoss, RebalancedSupConLoss

COUNTS = [20, 10, 5, 2, 1]


def build_head(**kwargs):
    head = BCLHead(num_classes=5, in_channels=8, feat_channels=4, **kwargs)
    head.loss_module.set_class_counts(COUNTS)
    return head


def samples(labels):
    return [DataSample().set_gt_label(y) for y in labels]


def views(batch=6, num_views=3, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [(torch.randn(batch, 8, generator=gen), )
            for _ in range(num_views)]


def test_losses_and_what_they_depend_on():
    head = build_head()
    feats = views()
    for view in feats:
        view[0].requires_grad_(True)
    labels = [0, 1, 1, 2, 0, 4]
    losses = head.loss(feats, samples(labels))
    assert set(losses) == {'loss_cls', 'loss_contrast'}
    # classification: alpha (2) x logit-adjusted CE of view 0's cosine logits
    cos = F.normalize(feats[0][0], dim=1) @ F.normalize(head.fc.weight,
                                                        dim=1).T
    log_prior = torch.tensor(COUNTS).float().div(sum(COUNTS)).log()
    expected = 2 * F.cross_entropy(30 * cos + log_prior, torch.tensor(labels))
    assert losses['loss_cls'].item() == pytest.approx(expected.item(), 1e-5)
    # the classification loss sees view 0 only; the contrastive one the
    # other views and, through the prototypes, the classifier weights
    grads = torch.autograd.grad(
        losses['loss_cls'], [v[0] for v in feats], allow_unused=True)
    assert grads[0].abs().sum() > 0 and grads[1] is None and grads[2] is None
    grads = torch.autograd.grad(
        losses['loss_contrast'], [feats[1][0], feats[2][0], head.fc.weight])
    assert all(g.abs().sum() > 0 for g in grads)


def test_contrast_loss_inputs():
    """Embeddings of views 1.. with repeated labels, prototypes from fc."""
    seen = {}

    class Recording(BalancedSupConLoss):

        def forward(self, feats, labels, prototypes):
            seen.update(feats=feats, labels=labels, prototypes=prototypes)
            return super().forward(feats, labels, prototypes)

    head = build_head()
    head.contrast_loss = Recording()
    head.train()
    head.loss(views(batch=3), samples([2, 0, 1]))
    assert seen['feats'].shape == (6, 4)
    assert seen['labels'].tolist() == [2, 0, 1, 2, 0, 1]
    assert seen['prototypes'].shape == (5, 4)


def test_rcl_plugs_in_and_defaults_follow_the_doc():
    head = MODELS.build(
        dict(
            type='BCLHead',
            num_classes=5,
            in_channels=8,
            contrast_loss=dict(type='RebalancedSupConLoss', prior_tau=1.)))
    assert isinstance(head.contrast_loss, RebalancedSupConLoss)
    default = BCLHead(num_classes=5, in_channels=8)
    assert default.contrast_loss.temperature == 0.1
    assert default.contrast_loss.loss_weight == 0.6
    assert default.loss_module.loss_weight == 2.0
    assert default.projector[-1].out_features == 128
    assert default.fc.scale == 30


def test_predict_uses_the_cosine_logits_of_one_view():
    head = build_head()
    feat = torch.randn(4, 8)
    predictions = head.predict((feat, ))
    cos = F.normalize(feat, dim=1) @ F.normalize(head.fc.weight, dim=1).T
    scores = torch.stack([p.pred_score for p in predictions])
    assert torch.allclose(scores, (30 * cos).softmax(dim=1))


def test_single_view_is_refused():
    head = build_head()
    with pytest.raises(TypeError, match='features of >= 2 views'):
        head.loss((torch.randn(2, 8), ), samples([0, 1]))
