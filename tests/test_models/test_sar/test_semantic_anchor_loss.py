import copy
import math
import os

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from sar_mm.models.sar import SemanticAnchorLoss
from tests.utils import free_port


def fixed_classifier(logits):
    """A classifier whose output is ``logits`` but stays in the graph."""
    return lambda anchors: logits + 0 * anchors.sum()


def test_anchor_loss_by_hand():
    sar = SemanticAnchorLoss(num_classes=2, feat_channels=3)
    logits = torch.tensor([[2., 0.], [0., 1.]])
    p0 = math.exp(2) / (math.exp(2) + 1)
    p1 = math.exp(1) / (math.exp(1) + 1)
    log_sum = math.log(p0) + math.log(p1)
    w0, w1 = math.log(p0) / log_sum, math.log(p1) / log_sum
    expected = w0 * -math.log(p0) + w1 * -math.log(p1)
    assert sar.anchor_loss(logits).item() == pytest.approx(expected, rel=1e-6)


def test_confident_anchors_get_no_anchor_loss():
    sar = SemanticAnchorLoss(num_classes=2, feat_channels=3, filter_conf=0.9)
    # anchor 0: p = 0.993 > 0.9, filtered; anchor 1 keeps all the weight
    logits = torch.tensor([[5., 0.], [0., 1.]], requires_grad=True)
    p1 = math.exp(1) / (math.exp(1) + 1)
    loss = sar.anchor_loss(logits)
    assert loss.item() == pytest.approx(-math.log(p1), rel=1e-6)
    # every anchor confident: exactly 0
    assert sar.anchor_loss(torch.tensor([[9., 0.], [0., 9.]])).item() == 0


def test_pull_loss_by_hand_with_ignore():
    sar = SemanticAnchorLoss(num_classes=2, feat_channels=2, ignore_index=255)
    sar.semantic_anchors.copy_(torch.tensor([[1., 0.], [0., 2.]]))
    feats = torch.tensor([[[[1., 3.], [0., 5.]], [[0., 1.], [2., 7.]]]])
    labels = torch.tensor([[[0, 1], [1, 255]]])
    # (1,0)-(1,0) -> 0; (3,1)-(0,2) -> 9+1; (0,2)-(0,2) -> 0; last ignored
    expected = (0 + 10 + 0) / (3 * 2)
    assert sar.pull_loss(feats, labels).item() == pytest.approx(expected)


def test_pull_loss_matches_a_slow_loop_and_resizes_labels():
    torch.manual_seed(0)
    sar = SemanticAnchorLoss(
        num_classes=4, feat_channels=5, ignore_index=[255, 254])
    sar.semantic_anchors.normal_()
    feats = torch.randn(2, 5, 3, 4)
    labels = torch.randint(0, 4, (2, 6, 8))
    labels[0, :2] = 255
    labels[1, 4:, :4] = 254
    small = labels[:, ::2, ::2]  # nearest downsampling by 2
    total, count = 0., 0
    for n in range(2):
        for y in range(3):
            for x in range(4):
                label = int(small[n, y, x])
                if label in (254, 255):
                    continue
                diff = feats[n, :, y, x] - sar.semantic_anchors[label]
                total += float((diff**2).sum())
                count += 5
    assert sar.pull_loss(feats, labels).item() == pytest.approx(
        total / count, rel=1e-5)


def test_all_ignored_gives_exactly_zero():
    sar = SemanticAnchorLoss(num_classes=3, feat_channels=4)
    feats = torch.randn(2, 4, 5, 5, requires_grad=True)
    labels = torch.full((2, 5, 5), 255)
    loss = sar.pull_loss(feats, labels)
    assert loss.item() == 0 and not torch.isnan(loss)
    loss.backward()
    assert torch.count_nonzero(feats.grad) == 0


def test_gate_stays_closed_until_every_anchor_passes():
    torch.manual_seed(0)
    sar = SemanticAnchorLoss(num_classes=3, feat_channels=4, update_conf=0.8)
    sar.train()
    feats = torch.randn(2, 4, 3, 3)
    labels = torch.randint(0, 3, (2, 3, 3))
    # anchor 2 is classified correctly but only with p ~ 0.58 < 0.8
    weak = torch.tensor([[9., 0., 0.], [0., 9., 0.], [0., 0., 0.7]])
    out = sar(feats, labels, fixed_classifier(weak))
    assert out['sar_gate_open'].item() == 0
    assert out['loss_sar_pull'].item() == 0
    assert not sar.anchors_initialized
    assert torch.count_nonzero(sar.semantic_anchors) == 0
    assert out['sar_anchor_acc'].item() == 1
    # anchor 2 misclassified
    wrong = torch.tensor([[9., 0., 0.], [0., 9., 0.], [0., 9., 0.]])
    out = sar(feats, labels, fixed_classifier(wrong))
    assert out['sar_gate_open'].item() == 0
    assert out['sar_anchor_acc'].item() == pytest.approx(2 / 3)


def test_gate_opens_and_ema_follows_the_semantic_anchors():
    torch.manual_seed(0)
    sar = SemanticAnchorLoss(
        num_classes=3, feat_channels=4, momentum=0.9, pull_weight=0.5)
    sar.train()
    feats = torch.randn(2, 4, 3, 3, requires_grad=True)
    labels = torch.randint(0, 3, (2, 3, 3))
    strong = fixed_classifier(torch.eye(3) * 9)
    first = sar.projector(sar.predefined_anchors).detach()
    out = sar(feats, labels, strong)
    assert out['sar_gate_open'].item() == 1 and sar.anchors_initialized
    torch.testing.assert_close(sar.semantic_anchors, first)
    expected_pull = 0.5 * sar.pull_loss(feats, labels)
    assert out['loss_sar_pull'].item() == pytest.approx(
        expected_pull.item())
    # new predefined anchors -> new semantic anchors; EMA with momentum 0.9
    sar.predefined_anchors.normal_()
    second = sar.projector(sar.predefined_anchors).detach()
    sar(feats, labels, strong)
    torch.testing.assert_close(sar.semantic_anchors,
                               0.9 * first + 0.1 * second)
    # a closed gate freezes them and switches the pull loss off again
    frozen = sar.semantic_anchors.clone()
    out = sar(feats, labels, fixed_classifier(torch.zeros(3, 3)))
    assert out['sar_gate_open'].item() == 0
    assert out['loss_sar_pull'].item() == 0
    torch.testing.assert_close(sar.semantic_anchors, frozen)


def test_gradients_reach_features_and_classifier_never_the_ema():
    torch.manual_seed(0)
    sar = SemanticAnchorLoss(num_classes=3, feat_channels=4)
    sar.train()
    linear = torch.nn.Linear(4, 3)
    # a large diagonal offset makes every anchor pass, so the gate opens;
    # the filter threshold 1.0 keeps every anchor in the anchor loss
    sar.filter_conf = 1.0
    feats = torch.randn(2, 4, 3, 3, requires_grad=True)
    labels = torch.randint(0, 3, (2, 3, 3))
    out = sar(feats, labels, lambda a: linear(a) + 5 * torch.eye(3))
    assert out['sar_gate_open'].item() == 1
    sum(v for k, v in out.items() if k.startswith('loss')).backward()
    assert feats.grad.abs().sum() > 0
    assert linear.weight.grad.abs().sum() > 0
    assert sar.projector[0][0].weight.grad.abs().sum() > 0
    assert sar.semantic_anchors.grad is None
    assert not sar.semantic_anchors.requires_grad


def test_eval_mode_does_not_update_state():
    sar = SemanticAnchorLoss(num_classes=2, feat_channels=3)
    sar.eval()
    sar(torch.randn(1, 3, 2, 2), torch.zeros(1, 2, 2, dtype=torch.long),
        fixed_classifier(torch.eye(2) * 9))
    assert not sar.anchors_initialized and not sar.gate_open


def test_classification_shapes():
    """Features (N, D) and labels (N,): one pull term per image."""
    sar = SemanticAnchorLoss(num_classes=3, feat_channels=4)
    sar.semantic_anchors.copy_(torch.arange(12.).view(3, 4))
    feats = torch.zeros(2, 4)
    labels = torch.tensor([1, 2])
    expected = (sar.semantic_anchors[1:]**2).mean()
    assert sar.pull_loss(feats, labels).item() == pytest.approx(
        expected.item())


def test_bf16_autocast_gives_finite_fp32_losses():
    torch.manual_seed(0)
    sar = SemanticAnchorLoss(num_classes=150, feat_channels=64)
    sar.train()
    classifier = torch.nn.Linear(64, 150)
    feats = 50 * torch.randn(2, 64, 8, 8)
    labels = torch.randint(0, 150, (2, 8, 8))
    sar.semantic_anchors.normal_()
    sar.gate_open.fill_(True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = sar(feats.bfloat16(), labels, classifier)
    for key in ('loss_sar_anchor', 'loss_sar_pull'):
        assert out[key].dtype == torch.float32
        assert torch.isfinite(out[key])


def test_bad_construction_and_inputs():
    with pytest.raises(ValueError, match='>= 2 classes'):
        SemanticAnchorLoss(num_classes=1, feat_channels=4)
    with pytest.raises(ValueError,
                       match=r'update_conf must be a number in \[0, 1\]'):
        SemanticAnchorLoss(num_classes=2, feat_channels=4, update_conf=1.5)
    sar = SemanticAnchorLoss(num_classes=2, feat_channels=4)
    with pytest.raises(ValueError, match='4 feature channels'):
        sar(torch.randn(1, 3, 2, 2), torch.zeros(1, 2, 2).long(),
            fixed_classifier(torch.eye(2)))
    with pytest.raises(ValueError, match=r'\(2, 2\) logits'):
        sar(torch.randn(1, 4, 2, 2), torch.zeros(1, 2, 2).long(),
            lambda a: torch.zeros(2, 3))


def _ddp_worker(rank, world_size, port, out_dir):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world_size)
    torch.manual_seed(rank)  # deliberately different anchors and params
    sar = SemanticAnchorLoss(num_classes=3, feat_channels=4)
    sar.train()
    feats = torch.randn(2, 4, 3, 3)
    labels = torch.randint(0, 3, (2, 3, 3))
    # rank 1's anchors fail the gate: it must stay closed on both ranks
    logits = torch.eye(3) * (9 if rank == 0 else 0)
    closed = sar(feats, labels, fixed_classifier(logits))
    own = sar.projector(sar.predefined_anchors).detach()
    opened = sar(feats, labels, fixed_classifier(torch.eye(3) * 9))
    torch.save(
        dict(
            closed=closed['sar_gate_open'].item(),
            opened=opened['sar_gate_open'].item(),
            predefined=sar.predefined_anchors,
            own=own,
            ema=sar.semantic_anchors), os.path.join(out_dir, f'{rank}.pth'))
    dist.destroy_process_group()


def test_ddp_ranks_agree_on_gate_and_anchors(tmp_path):
    mp.spawn(
        _ddp_worker, args=(2, free_port(), str(tmp_path)), nprocs=2, join=True)
    r0, r1 = (torch.load(tmp_path / f'{r}.pth') for r in (0, 1))
    assert r0['closed'] == r1['closed'] == 0
    assert r0['opened'] == r1['opened'] == 1
    # rank 0's predefined anchors were broadcast once
    assert torch.equal(r0['predefined'], r1['predefined'])
    # the EMA starts from the rank average and is bitwise identical
    assert torch.equal(r0['ema'], r1['ema'])
    torch.testing.assert_close(r0['ema'], (r0['own'] + r1['own']) / 2)


def test_split_api_equals_forward_and_pulls_each_feature_set():
    """anchor_step once + gated_pull per feature set (semi-supervised use)
    gives forward's values; ignored labels are not pulled."""
    torch.manual_seed(0)
    one = SemanticAnchorLoss(num_classes=3, feat_channels=4).train()
    two = copy.deepcopy(one)
    classifier = fixed_classifier(torch.eye(3) * 9)
    feats = torch.randn(2, 4, 3, 3)
    labels = torch.randint(0, 3, (2, 3, 3))
    whole = one(feats, labels, classifier)
    parts = two.anchor_step(classifier)
    parts['loss_sar_pull'] = two.gated_pull(feats, labels)
    assert whole.keys() == parts.keys()
    for key in whole:
        torch.testing.assert_close(whole[key], parts[key])
    assert bool(two.gate_open)
    # a second feature set whose labels are all ignored adds nothing
    ignored = torch.full_like(labels, 255)
    assert two.gated_pull(feats, ignored).item() == 0
    # by hand: mean over labelled positions and channels of (f - M[y])^2
    half = labels.clone()
    half[0] = 255
    target = two.semantic_anchors[half[1]]  # (3, 3, D)
    expected = 0.1 * (feats[1].movedim(0, -1) - target).pow(2).mean()
    torch.testing.assert_close(two.gated_pull(feats, half), expected)


def test_the_driver_runs_one_anchor_step_and_each_weighted_pull():
    """losses(): the one sequence every adapter uses, with the one key
    scheme; a pull weighted 0 is exactly 0 and the anchor step is not
    repeated per pull."""
    torch.manual_seed(0)
    sar = SemanticAnchorLoss(num_classes=3, feat_channels=4).train()
    reference = copy.deepcopy(sar)
    calls = []

    def classifier(anchors):
        calls.append(anchors.shape)
        return torch.eye(3) * 9 + 0 * anchors[:, :3]

    sup, unsup = torch.randn(2, 4, 3, 3), torch.randn(5, 4)
    sup_labels = torch.randint(0, 3, (2, 3, 3))
    unsup_labels = torch.tensor([0, 255, 2, 1, 255])
    losses = sar.losses(classifier, {
        'sup': (sup, sup_labels, 1.),
        'unsup': (unsup, unsup_labels, 0.5),
        'other': (unsup, unsup_labels, 0.)
    })
    assert calls == [(3, 4)]
    assert set(losses) == {
        'loss_sar_anchor', 'sar_gate_open', 'sar_anchor_acc',
        'sup.loss_sar_pull', 'unsup.loss_sar_pull', 'other.loss_sar_pull'
    }
    expected = reference.anchor_step(classifier)
    for key in expected:
        torch.testing.assert_close(losses[key], expected[key])
    anchors = sar.semantic_anchors
    by_hand_sup = (sup.movedim(1, -1) - anchors[sup_labels]).pow(2).mean()
    kept = unsup_labels != 255
    by_hand_unsup = (unsup[kept] - anchors[unsup_labels[kept]]).pow(2).mean()
    torch.testing.assert_close(losses['sup.loss_sar_pull'],
                               0.1 * by_hand_sup)
    torch.testing.assert_close(losses['unsup.loss_sar_pull'],
                               0.5 * 0.1 * by_hand_unsup)
    assert losses['other.loss_sar_pull'].item() == 0
    # a supervised model's single pull keeps the plain key
    single = sar.losses(classifier, {'': (sup, sup_labels, 1.)})
    assert 'loss_sar_pull' in single


def test_the_driver_checks_every_feature_set_before_any_state_changes():
    sar = SemanticAnchorLoss(num_classes=3, feat_channels=4).train()
    before = copy.deepcopy(sar.state_dict())
    with pytest.raises(ValueError, match='built for 4 feature channels'):
        sar.losses(lambda a: torch.eye(3) * 9, {
            'sup': (torch.randn(2, 4), torch.zeros(2).long(), 1.),
            'unsup': (torch.randn(2, 5), torch.zeros(2).long(), 1.)
        })
    for key, value in before.items():
        assert torch.equal(sar.state_dict()[key], value)


def test_unsup_pull_mask_is_the_kept_labels_above_sars_floor():
    sar = SemanticAnchorLoss(num_classes=2, feat_channels=4,
                             unsup_conf_thresh=0.8)
    probs = torch.tensor([[0.9, 0.1], [0.3, 0.7], [0.05, 0.95],
                          [0.85, 0.15]])
    keep = torch.tensor([True, True, False, True])
    # 0.7 is below the floor; the third is not kept by the loss
    assert sar.unsup_pull_mask(keep, probs).tolist() == [
        True, False, False, True]
