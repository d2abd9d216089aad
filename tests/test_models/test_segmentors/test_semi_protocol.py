"""The fair protocol of the semi-supervised segmentors: with the
unlabelled losses at 0 a step is the supervised step, loss for loss and
weight for weight; SAR's supervised terms follow sup_weight; the weak
pass is dropout-free."""
import copy

import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from tests.test_models.test_segmentors.test_fixmatch_segmentor import (  # noqa: F401,E501
    build, cfg, data, recorded_loss)


def sgd(model):
    return OptimWrapper(
        torch.optim.SGD(
            model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4))


def step(model, optim, **batch):
    losses = model.loss(**copy.deepcopy(batch))
    total, _ = model.parse_losses(losses)
    optim.update_params(total)
    return losses


@pytest.mark.parametrize('with_sar', [False, True])
def test_control_step_is_the_supervised_step(cfg, data, with_sar):
    """FixMatch with unsup_weight=0 (and SAR's unlabelled pull at 0) over
    3 SGD steps: the same labelled losses, weights and batch-norm
    statistics as the plain (SAR) segmentor trained on the labelled batch
    alone."""
    init_default_scope('mmseg')
    segmentor = copy.deepcopy(cfg.model.segmentor)
    sar = dict(unsup_pull_weight=0.0) if with_sar else None
    if with_sar:
        segmentor.update(type='SAREncoderDecoder', sar=dict())
    torch.manual_seed(0)
    supervised = MODELS.build(segmentor).train()
    control = build(cfg, sar=sar, semi_train_cfg=dict(unsup_weight=0.0))
    if with_sar:
        for model in (supervised.sar, control.sar):
            model.gate_open.fill_(True)  # the pulls run from the start
    student = control.student.state_dict()
    for key, value in supervised.state_dict().items():
        if not key.startswith('sar.'):
            assert torch.equal(student[key], value), key
    optims = sgd(supervised), sgd(control)
    sup_batch = dict(inputs=data['inputs']['sup'],
                     data_samples=data['data_samples']['sup'])
    for i in range(3):
        torch.manual_seed(i)  # the same dropout draws in both
        plain = step(supervised, optims[0], **sup_batch)
        torch.manual_seed(i)
        semi = step(control, optims[1], **data)
        assert semi['unsup.loss_s'] == 0
        for key, value in plain.items():
            ours = key.replace('loss_sar_pull', 'sup.loss_sar_pull') \
                if key.startswith('loss_sar_pull') else \
                key if key.startswith(('loss_sar', 'sar_')) else f'sup.{key}'
            assert torch.equal(semi[ours], value), (i, key)
    student = control.student.state_dict()
    for key, value in supervised.state_dict().items():
        if key.startswith('sar.'):
            assert torch.equal(control.sar.state_dict()[key[4:]], value), key
        else:
            assert torch.equal(student[key], value), key
    # what kept the statistics equal: a train-mode pass of the strong
    # views outside running_stats_frozen would have moved them
    norm = control.student.backbone.stem[1]
    before = norm.running_mean.clone()
    control.student.extract_feat(data['inputs']['unsup_strong'])
    assert not torch.equal(norm.running_mean, before)


def test_sar_supervised_terms_follow_sup_weight(cfg, data):
    losses = {}
    for weight in (1.0, 0.5):
        model = build(cfg, sar=dict(),
                      semi_train_cfg=dict(sup_weight=weight))
        model.sar.eval()
        model.sar.gate_open.fill_(True)
        model.pseudo_labeler.threshold = 0.
        losses[weight] = model.loss(**copy.deepcopy(data))
    for key in ('loss_sar_anchor', 'sup.loss_sar_pull',
                'sup.decode.loss_ce'):
        assert losses[0.5][key].item() == pytest.approx(
            0.5 * losses[1.0][key].item(), rel=1e-6), key
        assert losses[1.0][key] > 0
    assert losses[0.5]['unsup.loss_sar_pull'].item() == pytest.approx(
        losses[1.0]['unsup.loss_sar_pull'].item(), rel=1e-6)


def test_weak_pass_is_dropout_free_and_leaves_train_mode(cfg, data):
    """With the head's dropout on, the weak pass gives the logits of the
    student in eval mode (with the running statistics the labelled pass
    left); the student is in train mode after."""
    cfg = copy.deepcopy(cfg)
    cfg.model.segmentor.decode_head.dropout_ratio = 0.5
    model = build(cfg)
    _, _, logits, _ = recorded_loss(model, data)
    assert model.student.training and model.student.decode_head.training
    model.student.eval()
    with torch.no_grad():
        expected = model.student.decode_head(
            model.student.extract_feat(data['inputs']['unsup_weak']))
        twice = model.student.decode_head(
            model.student.extract_feat(data['inputs']['unsup_weak']))
    assert torch.equal(logits[1], expected) and torch.equal(expected, twice)
    # dropout is active in the labelled and strong passes only
    active = []
    handle = model.student.decode_head.dropout.register_forward_hook(
        lambda m, args, out: active.append(m.training))
    model.student.train()
    recorded_loss(model, data)
    handle.remove()
    assert active == [True, False, True]
