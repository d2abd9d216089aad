import pytest
import torch
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.structures import DataSample

from sar_mm.models.heads import SARLinearClsHead
from sar_mm.models.sar import SemanticAnchorLoss
from sar_mm.utils import UserInputError


def samples(labels):
    return [DataSample().set_gt_label(y) for y in labels]


def test_uses_the_shared_sar_core_with_every_label_a_class():
    head = SARLinearClsHead(
        num_classes=300, in_channels=6, sar=dict(pull_weight=0.5))
    assert type(head.sar) is SemanticAnchorLoss
    assert head.sar.feat_channels == 6 and head.sar.num_classes == 300
    assert head.sar.pull_weight == 0.5
    assert head.sar.ignore_index == (-1, )


def test_one_pull_term_per_image():
    """With the gate open and known EMA anchors, the pull loss is the mean
    over images and channels of (f - M[y])^2; label 255 is a class."""
    head = SARLinearClsHead(num_classes=300, in_channels=6)
    head.sar.eval()  # keep the gate and anchors as set here
    head.sar.gate_open.fill_(True)
    head.sar.semantic_anchors.normal_()
    feats = torch.randn(3, 6)
    labels = [255, 0, 17]
    losses = head.loss((feats, ), samples(labels))
    anchors = head.sar.semantic_anchors[labels]
    expected = 0.1 * (feats - anchors).pow(2).mean()
    assert losses['loss_sar_pull'].item() == pytest.approx(expected.item())
    assert {'loss', 'loss_sar_anchor', 'sar_gate_open',
            'sar_anchor_acc'} <= set(losses)


def test_anchors_go_through_the_heads_fc():
    head = SARLinearClsHead(num_classes=4, in_channels=6)
    head.init_weights()
    losses = head.loss((torch.randn(8, 6), ), samples([0, 1, 2, 3] * 2))
    grad, = torch.autograd.grad(losses['loss_sar_anchor'], head.fc.weight)
    assert grad.abs().sum() > 0
    # the projector keeps PyTorch's init, only fc gets LinearClsHead's
    assert head.fc.weight.std() < 0.05
    assert head.sar.projector[0][0].weight.std() > 0.05


def test_predicts_like_linear_cls_head():
    head = SARLinearClsHead(num_classes=4, in_channels=6)
    plain = LinearClsHead(num_classes=4, in_channels=6)
    plain.fc.load_state_dict(head.fc.state_dict())
    feats = (torch.randn(5, 6), )
    assert torch.equal(
        torch.stack([p.pred_score for p in head.predict(feats)]),
        torch.stack([p.pred_score for p in plain.predict(feats)]))


def test_soft_labels_are_refused():
    head = SARLinearClsHead(num_classes=4, in_channels=6)
    data = [
        DataSample().set_gt_label(0).set_gt_score(torch.tensor([1., 0, 0, 0]))
    ]
    with pytest.raises(UserInputError, match='hard label'):
        head.loss((torch.randn(1, 6), ), data)
