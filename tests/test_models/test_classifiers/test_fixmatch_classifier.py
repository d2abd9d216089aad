"""FixMatchClassifier: the three passes (labelled alone, weak in eval
mode, strong), the control step equal to the supervised one, the labelled
loss, pseudo-label masking and the unlabelled loss by hand, SAR's anchor
step once and its two pulls, prediction, and one-line errors."""
import copy
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from sar_mm.models.classifiers import FixMatchClassifier
from sar_mm.models.utils import running_stats_frozen
from sar_mm.utils import UserInputError

NUM_CLASSES = 4
SUP_LABELS = [0, 1, 2, 3]
UNSUP_TRUTH = [3, 2, 1, 0, 0, 1, 2, 3]


def model_cfg(**kwargs):
    return dict(
        type='FixMatchClassifier',
        backbone=dict(type='ResNet32'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead', num_classes=NUM_CLASSES, in_channels=64),
        data_preprocessor=dict(
            num_classes=NUM_CLASSES, mean=[0.] * 3, std=[1.] * 3),
        **kwargs)


def build(**kwargs):
    torch.manual_seed(0)
    return MODELS.build(model_cfg(**kwargs))


def batch(seed=0):
    """A preprocessed batch: 4 labelled images, 8 weak/strong pairs."""
    gen = torch.Generator().manual_seed(seed)
    inputs = {
        'sup': torch.randn(4, 3, 16, 16, generator=gen),
        'unsup_weak': torch.randn(8, 3, 16, 16, generator=gen),
    }
    # strong views: the weak ones, perturbed
    inputs['unsup_strong'] = inputs['unsup_weak'] + 0.5 * torch.randn(
        8, 3, 16, 16, generator=gen)
    samples = {
        'sup': [DataSample().set_gt_label(y) for y in SUP_LABELS],
        'unsup_weak': [DataSample().set_gt_label(y) for y in UNSUP_TRUTH],
        'unsup_strong': [DataSample().set_gt_label(y) for y in UNSUP_TRUTH],
    }
    return inputs, samples


def logits_and_features(model, inputs):
    """What the step's three passes compute, on a copy of the model: the
    labelled images in train mode, then the weak views in eval mode (with
    the running statistics the labelled pass left), then the strong views
    in train mode."""
    probe = copy.deepcopy(model).train()

    def run(images):
        feats = probe.head.pre_logits(probe.extract_feat(images))
        return probe.head.fc(feats), feats

    out_x = run(inputs['sup'])
    probe.eval()
    out_w = run(inputs['unsup_weak'])
    probe.train()
    with running_stats_frozen(probe):
        out_s = run(inputs['unsup_strong'])
    return tuple(zip(out_x, out_w, out_s))


def test_three_passes_labelled_alone_weak_in_eval_mode():
    model = build()
    calls = []
    model.backbone.register_forward_hook(
        lambda module, args, out: calls.append(
            (args[0].shape[0], module.training)))
    inputs, samples = batch()
    losses = model.loss(inputs, samples)
    assert calls == [(4, True), (8, False), (8, True)]
    assert model.training
    assert {'loss_x', 'loss_u', 'mask_ratio', 'pseudo_label_acc'} == set(
        losses)


def test_control_step_is_the_supervised_step():
    """unsup_weight=0 over 3 SGD steps: the same labelled loss, weights and
    batch-norm statistics as ImageClassifier on the labelled images."""
    from mmengine.optim import OptimWrapper
    control = build(unsup_weight=0.0)
    torch.manual_seed(0)
    supervised = MODELS.build(dict(model_cfg(), type='ImageClassifier'))
    assert all(
        torch.equal(v, control.state_dict()[k])
        for k, v in supervised.state_dict().items())
    optims = [
        OptimWrapper(
            torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9,
                            weight_decay=5e-4)) for m in (supervised, control)
    ]
    for seed in range(3):
        inputs, samples = batch(seed)
        plain = supervised.loss(inputs['sup'], copy.deepcopy(samples['sup']))
        semi = control.loss(inputs, copy.deepcopy(samples))
        assert torch.equal(semi['loss_x'], plain['loss'])
        assert semi['loss_u'] == 0
        for model, losses, optim in zip((supervised, control),
                                        (plain, semi), optims):
            optim.update_params(model.parse_losses(losses)[0])
    for key, value in supervised.state_dict().items():
        assert torch.equal(control.state_dict()[key], value), key


@pytest.mark.parametrize('threshold', ['median', 0.0, 1.0])
def test_pseudo_label_masking_and_unlabelled_loss_by_hand(threshold):
    model = build(unsup_weight=2.0)
    inputs, samples = batch()
    (logits_x, logits_w, logits_s), _ = logits_and_features(model, inputs)
    probs = logits_w.softmax(dim=1)
    if threshold == 'median':
        # half of the unlabelled images are confident enough
        threshold = probs.max(dim=1).values.median().item() + 1e-6
    model.pseudo_labeler.threshold = threshold
    losses = model.loss(inputs, samples)

    total, confident, correct = 0.0, 0, 0
    for i in range(8):
        p = probs[i].tolist()
        label = max(range(NUM_CLASSES), key=lambda c: p[c])
        if max(p) >= threshold:
            confident += 1
            correct += label == UNSUP_TRUTH[i]
            total -= math.log(logits_s[i].softmax(dim=0)[label].item())
    # the mean over *all* 8 unlabelled images, times lambda_u = 2
    assert losses['loss_u'].item() == pytest.approx(2.0 * total / 8,
                                                    rel=1e-5)
    assert losses['mask_ratio'].item() == pytest.approx(confident / 8)
    assert losses['pseudo_label_acc'].item() == pytest.approx(
        correct / max(confident, 1))
    if threshold == 1.0:
        assert confident == 0 and losses['loss_u'] == 0
    elif threshold == 0.0:
        assert confident == 8
    else:
        assert 0 < confident < 8
    # the labelled loss is the head's cross-entropy of the labelled logits
    torch.testing.assert_close(
        losses['loss_x'],
        F.cross_entropy(logits_x, torch.tensor(SUP_LABELS)))


def test_pseudo_labels_carry_no_gradient():
    """The weak view's logits only choose the targets: its pass builds no
    graph, so loss_u has no gradient path through it."""
    model = build(threshold=0.0)
    inputs, samples = batch()
    inputs = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    losses = model.loss(inputs, samples)
    weak, strong = torch.autograd.grad(
        losses['loss_u'], [inputs['unsup_weak'], inputs['unsup_strong']],
        allow_unused=True)
    assert weak is None and strong.abs().sum() > 0


def test_sar_anchor_step_once_and_both_pulls():
    model = build(threshold=0.0, sar=dict(pull_weight=0.5))
    sar = model.sar
    assert (sar.num_classes, sar.feat_channels) == (NUM_CLASSES, 64)
    assert sar.ignore_index == (-1, )
    sar.eval()  # keep the gate open with known anchors
    sar.gate_open.fill_(True)
    sar.semantic_anchors.normal_()
    inputs, samples = batch()
    (_, logits_w, _), (feats_x, _, feats_s) = logits_and_features(
        model, inputs)
    probs = logits_w.softmax(dim=1)
    threshold = probs.max(dim=1).values.median().item() + 1e-6
    model.pseudo_labeler.threshold = threshold
    reference = copy.deepcopy(sar)

    anchor_calls = []
    model.head.fc.register_forward_hook(
        lambda module, args, out: anchor_calls.append(args[0].shape[0]))
    losses = model.loss(inputs, samples)
    # the head's classifier: the three passes, one anchor call (C anchors)
    assert anchor_calls == [4, 8, 8, NUM_CLASSES]

    expected = reference.anchor_step(model.head.fc)
    for key in ('loss_sar_anchor', 'sar_gate_open', 'sar_anchor_acc'):
        torch.testing.assert_close(losses[key], expected[key])
    anchors = sar.semantic_anchors
    pull_x = 0.5 * (feats_x - anchors[SUP_LABELS]).pow(2).mean()
    torch.testing.assert_close(losses['sup.loss_sar_pull'], pull_x)
    # strong views: only the confident ones, towards their pseudo-label
    confidence, labels = probs.max(dim=1)
    keep = confidence >= threshold
    assert 0 < keep.sum() < 8
    pull_u = 0.5 * (feats_s[keep] - anchors[labels[keep]]).pow(2).mean()
    torch.testing.assert_close(losses['unsup.loss_sar_pull'], pull_u)


def test_train_step_and_prediction_through_the_preprocessor():
    model = build(sar=dict())
    inputs, samples = batch()
    data = dict(
        inputs={
            b: [(img * 40 + 128).clamp(0, 255) for img in inputs[b]]
            for b in inputs
        },
        data_samples=samples)
    from mmengine.optim import OptimWrapper
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    log = model.train_step(data, wrapper)
    assert {'loss', 'loss_x', 'loss_u', 'loss_sar_anchor',
            'sup.loss_sar_pull', 'unsup.loss_sar_pull',
            'mask_ratio'} <= set(log)
    assert torch.isfinite(log['loss'])
    model.eval()
    plain = dict(inputs=data['inputs']['sup'], data_samples=None)
    predictions = model.val_step(plain)
    assert len(predictions) == 4
    assert predictions[0].pred_score.shape == (NUM_CLASSES, )


def test_missing_branches_are_one_line():
    model = build()
    inputs, samples = batch()
    del inputs['unsup_strong']
    with pytest.raises(UserInputError, match='MultiSourceSampler'):
        model.loss(inputs, samples)
    inputs, samples = batch()
    inputs['unsup_strong'] = inputs['unsup_strong'][:4]
    with pytest.raises(UserInputError, match='must pair up'):
        model.loss(inputs, samples)


@pytest.mark.parametrize('kwargs,match', [
    (dict(threshold=1.5), r'threshold must be a number in \[0, 1\]'),
    (dict(unsup_weight=-1), 'unsup_weight must be a number'),
    (dict(sar=dict(trade_off=0.1)),
     r"unknown key\(s\) \['trade_off'\] in sar=dict\(...\) of "
     r'FixMatchClassifier \(LinearClsHead\)'),
    (dict(sar=dict(momentum=2)), 'momentum must be a number in'),
    (dict(data_preprocessor=dict(
        num_classes=4, batch_augments=dict(augments=dict(
            type='Mixup', alpha=0.2)))), 'remove batch_augments'),
])
def test_bad_settings_are_one_line(kwargs, match):
    with pytest.raises(UserInputError, match=match) as info:
        MODELS.build(dict(model_cfg(), **kwargs))
    assert '\n' not in str(info.value)


@pytest.mark.parametrize('head,match', [
    (dict(type='SARLinearClsHead', in_channels=64),
     'SARLinearClsHead has its own loss'),
    (dict(type='BCLHead', in_channels=64), 'BCLHead has its own loss'),
    (dict(type='MultiLabelLinearClsHead', in_channels=64),
     'is a multi-label head'),
])
def test_heads_it_cannot_train_are_refused(head, match):
    cfg = model_cfg()
    cfg['head'] = dict(head, num_classes=NUM_CLASSES)
    with pytest.raises(UserInputError, match=match):
        MODELS.build(cfg)


def test_is_registered():
    assert MODELS.get('FixMatchClassifier') is FixMatchClassifier


def test_burn_in_and_warm_up_scale_the_unlabelled_terms():
    model = build(threshold=0.0, sar=dict(), burn_in_iters=1,
                  warmup_iters=2)
    model.sar.eval()  # the gate held open, the anchors fixed
    model.sar.gate_open.fill_(True)
    model.sar.semantic_anchors.normal_()
    inputs, samples = batch()
    hub = MessageHub.get_instance('test_fixmatch_ramp')
    MessageHub._instance_dict.move_to_end('test_fixmatch_ramp')
    by_iter = {}
    try:
        for i in (0, 1, 2):
            hub.update_info('iter', i)
            by_iter[i] = model.loss(inputs, samples)
    finally:
        hub.pop_info('iter')
    for key in ('loss_u', 'unsup.loss_sar_pull'):
        assert by_iter[0][key].item() == 0, key
        full = by_iter[2][key]
        assert full.item() > 0, key
        torch.testing.assert_close(by_iter[1][key], 0.5 * full)
    torch.testing.assert_close(by_iter[0]['loss_x'], by_iter[2]['loss_x'])
