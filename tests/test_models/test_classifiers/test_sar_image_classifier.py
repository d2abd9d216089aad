"""SAR on any mmpretrain head through model.type: the losses equal the SAR
core called directly on the head's pre_logits features and its final
classifier, the head's own losses and predictions are unchanged, and heads
SAR cannot wrap are refused in one line."""
import copy

import pytest
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from sar_mm.models.classifiers import (SARImageClassifier,
                                       SARMultiViewImageClassifier)
from sar_mm.utils import UserInputError

NUM_CLASSES = 4
LABELS = [0, 1, 2, 3, 1, 0]
RESNET = dict(
    backbone=dict(type='ResNet32'), neck=dict(type='GlobalAveragePooling'))
VIT = dict(
    backbone=dict(
        type='VisionTransformer',
        arch=dict(
            embed_dims=16, num_layers=1, num_heads=2,
            feedforward_channels=32),
        img_size=16,
        patch_size=8))
# (model parts, head, path of the final classifier in the head)
HEADS = {
    'linear': (RESNET, dict(type='LinearClsHead', in_channels=64), 'fc'),
    'stacked': (RESNET,
                dict(
                    type='StackedLinearClsHead',
                    in_channels=64,
                    mid_channels=[12],
                    dropout_rate=0.),
                'layers.1.fc'),
    'vit': (VIT, dict(type='VisionTransformerClsHead', in_channels=16),
            'layers.head'),
    'vit-hidden': (VIT,
                   dict(
                       type='VisionTransformerClsHead',
                       in_channels=16,
                       hidden_dim=24),
                   'layers.head'),
    'logit-adjust': (RESNET,
                     dict(
                         type='LogitAdjustLinearClsHead',
                         in_channels=64,
                         posthoc_tau=0.),
                     'fc'),
    'bcl': (RESNET,
            dict(type='BCLHead', in_channels=64, feat_channels=8), 'fc'),
}


def model_cfg(case, **kwargs):
    parts, head, _ = HEADS[case]
    multi_view = head['type'] == 'BCLHead'
    return dict(
        type='SARMultiViewImageClassifier'
        if multi_view else 'SARImageClassifier',
        **copy.deepcopy(parts),
        head=dict(head, num_classes=NUM_CLASSES),
        **kwargs)


def build(case, **kwargs):
    model = MODELS.build(model_cfg(case, **kwargs))
    if case == 'bcl':
        model.head.loss_module.set_class_counts([8, 4, 2, 1])
    return model


def get_path(module, path):
    for name in path.split('.'):
        module = getattr(module, name)
    return module


def batch(case, seed=0):
    gen = torch.Generator().manual_seed(seed)
    num_views = 2 if case == 'bcl' else 1
    views = [
        torch.randn(len(LABELS), 3, 16, 16, generator=gen)
        for _ in range(num_views)
    ]
    samples = [DataSample().set_gt_label(y) for y in LABELS]
    return (views if case == 'bcl' else views[0]), samples


def classifier_input(model, case, inputs):
    """What the head's final classifier reads: pre_logits of the (first,
    classification) view, computed here without SAR."""
    if case == 'bcl':
        feats = model.extract_feat(torch.cat(inputs))
        feats = tuple(f[:len(LABELS)] for f in feats)
    else:
        feats = model.extract_feat(inputs)
    return model.head.pre_logits(feats)


@pytest.mark.parametrize('case', HEADS)
@pytest.mark.parametrize('gate', ['closed', 'open'])
def test_losses_are_the_core_on_the_heads_classifier(case, gate):
    model = build(case)
    classifier = get_path(model.head, HEADS[case][2])
    assert model.sar_classifier is classifier
    assert (model.sar.num_classes, model.sar.feat_channels) == (
        NUM_CLASSES, classifier.in_features)
    if gate == 'open':
        # anchors known and gate held open (eval keeps the gate as set)
        model.sar.eval()
        model.sar.gate_open.fill_(True)
        model.sar.semantic_anchors.normal_()
    reference = copy.deepcopy(model.sar)
    inputs, samples = batch(case)
    labels = torch.tensor(LABELS)
    feats = classifier_input(model, case, inputs)
    expected = reference(feats, labels, classifier=classifier)
    losses = model.loss(inputs, samples)
    for key in ('loss_sar_anchor', 'loss_sar_pull', 'sar_gate_open',
                'sar_anchor_acc'):
        torch.testing.assert_close(losses[key], expected[key], msg=key)
    # the anchors went through this very classifier
    anchors = reference.projector(reference.predefined_anchors)
    torch.testing.assert_close(
        losses['loss_sar_anchor'],
        reference.anchor_loss(classifier(anchors)))
    if gate == 'open':
        pull = 0.1 * (feats - model.sar.semantic_anchors[labels]).pow(2)
        torch.testing.assert_close(losses['loss_sar_pull'], pull.mean())
        assert losses['loss_sar_pull'] > 0
    else:
        assert losses['loss_sar_pull'] == 0


@pytest.mark.parametrize('case', ['linear', 'vit-hidden', 'bcl'])
def test_head_losses_and_predictions_are_untouched(case):
    model = build(case)
    cfg = model_cfg(case)
    cfg['type'] = cfg['type'].replace('SAR', '')
    plain = MODELS.build(cfg)
    state = {k: v for k, v in model.state_dict().items()
             if not k.startswith('sar.')}
    plain.load_state_dict(state)
    if case == 'bcl':
        plain.head.loss_module.set_class_counts([8, 4, 2, 1])
    inputs, samples = batch(case)
    losses, base = model.loss(inputs, samples), plain.loss(inputs, samples)
    assert set(losses) - set(base) == {
        'loss_sar_anchor', 'loss_sar_pull', 'sar_gate_open', 'sar_anchor_acc'
    }
    for key, value in base.items():
        torch.testing.assert_close(losses[key], value)
    model.eval(), plain.eval()
    image = inputs[0] if case == 'bcl' else inputs
    torch.testing.assert_close(model(image), plain(image))


def test_vit_head_sar_train_step_updates_what_sar_reaches():
    """One optimizer step: the anchor loss reaches the projector and the
    head's final classifier; with the gate open the pull reaches the ViT
    backbone and the head's hidden layer, never the EMA anchors."""
    from mmengine.optim import OptimWrapper
    model = build('vit-hidden', data_preprocessor=dict(
        num_classes=NUM_CLASSES, mean=[0.] * 3, std=[1.] * 3))
    inputs, samples = batch('vit-hidden')
    losses = model.loss(inputs, samples)
    grads = dict(
        projector=torch.autograd.grad(
            losses['loss_sar_anchor'],
            model.sar.projector[0][0].weight,
            retain_graph=True)[0],
        classifier=torch.autograd.grad(
            losses['loss_sar_anchor'],
            model.head.layers.head.weight,
            retain_graph=True)[0])
    assert all(g.abs().sum() > 0 for g in grads.values())

    model.sar.gate_open.fill_(True)
    model.sar.anchors_initialized.fill_(True)
    model.sar.semantic_anchors.normal_()
    model.sar.eval()  # keep the gate open for this step
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    before = copy.deepcopy(model.state_dict())
    data = dict(inputs=[(x * 40 + 128).clamp(0, 255) for x in inputs],
                data_samples=samples)
    log = model.train_step(data, wrapper)
    assert log['loss_sar_pull'] > 0 and torch.isfinite(log['loss'])
    after = model.state_dict()
    for key in ('backbone.cls_token', 'head.layers.pre_logits.weight',
                'head.layers.head.weight', 'sar.projector.0.0.weight'):
        assert not torch.equal(before[key], after[key]), key
    assert torch.equal(before['sar.semantic_anchors'],
                       after['sar.semantic_anchors'])


def test_sar_settings_go_through_the_shared_builder():
    model = build('vit', sar=dict(pull_weight=0.5, momentum=0.99))
    assert (model.sar.pull_weight, model.sar.momentum) == (0.5, 0.99)
    assert model.sar.ignore_index == (-1, )
    with pytest.raises(UserInputError,
                       match=r"unknown key\(s\) \['trade_off'\] in "
                       r'sar=dict\(...\) of SARImageClassifier '
                       r'\(VisionTransformerClsHead\)'):
        build('vit', sar=dict(trade_off=0.1))
    with pytest.raises(UserInputError, match='momentum must be a number'):
        build('stacked', sar=dict(momentum=2))


@pytest.mark.parametrize('head,match', [
    (dict(type='MultiLabelLinearClsHead', in_channels=64),
     'MultiLabelLinearClsHead is a multi-label head'),
    (dict(type='ArcFaceClsHead', in_channels=64),
     'ArcFaceClsHead has none'),
    (dict(type='StackedLinearClsHead', in_channels=64, mid_channels=[8],
          norm_cfg=dict(type='BN1d')), None),
    (dict(type='DeiTClsHead', in_channels=64),
     'DeiTClsHead averages two'),
    (dict(type='ConformerHead', in_channels=[64, 64]),
     'ConformerHead has none'),
])
def test_heads_without_one_final_linear_classifier_are_refused(head, match):
    cfg = dict(type='SARImageClassifier', **RESNET,
               head=dict(head, num_classes=NUM_CLASSES))
    if match is None:
        # a stacked head's last block is a bare Linear whatever the others
        assert MODELS.build(cfg).sar_classifier.out_features == NUM_CLASSES
        return
    with pytest.raises(UserInputError, match=match) as info:
        MODELS.build(cfg)
    assert '\n' not in str(info.value)


def test_mixup_is_refused_at_build_time():
    with pytest.raises(UserInputError, match='set model.train_cfg=None'):
        build('linear', train_cfg=dict(augments=dict(type='Mixup',
                                                     alpha=0.2)))


def test_is_registered():
    assert MODELS.get('SARImageClassifier') is SARImageClassifier
    assert MODELS.get(
        'SARMultiViewImageClassifier') is SARMultiViewImageClassifier
