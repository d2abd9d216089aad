"""FixMatchSegmentor on a real FCN and real LTDigitScenes batches: the
unlabelled loss, CutMix and SAR's pseudo-label pull against slow per-pixel
loops, the EMA teacher's pseudo-labels, checkpoint keys, bad configs."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmseg.registry import MODELS

from sar_mm.utils import UserInputError
from tests.utils import TINY_SEMI, training_batches


@pytest.fixture(scope='module')
def cfg():
    cfg = Config.fromfile(str(TINY_SEMI))
    # no dropout before conv_seg: its input is the classifier input SAR sees
    cfg.model.segmentor.decode_head.dropout_ratio = 0
    return cfg


@pytest.fixture(scope='module')
def data(cfg, tmp_path_factory):
    """A preprocessed training batch of 2 labelled + 2 unlabelled scenes,
    with known CutMix boxes and some padding in the first weak view."""
    batch, = training_batches(cfg, tmp_path_factory.mktemp('semi'))
    model = build(cfg)
    data = model.data_preprocessor(batch, True)
    for sample, box in zip(data['data_samples']['unsup_strong'],
                           [(5, 9, 40, 30), (10, 40, 30, 60)]):
        sample.set_metainfo(dict(cutmix_box=box))
    data['data_samples']['unsup_weak'][0].gt_sem_seg.data[:, 50:] = 255
    return data


def build(cfg, **changes):
    init_default_scope('mmseg')
    model_cfg = copy.deepcopy(cfg.model)
    for key, value in changes.items():  # replace, not merge
        model_cfg[key] = value
    torch.manual_seed(0)
    return MODELS.build(model_cfg).train()


def recorded_loss(model, data):
    """model.loss, with the backbone's input images and the decode head's
    outputs and classifier inputs of every pass recorded: the labelled
    images, the weak views (eval mode), the strong views."""
    images, logits, feats = [], [], []
    head = model.student.decode_head
    handles = [
        model.student.backbone.register_forward_pre_hook(
            lambda m, args: images.append(args[0])),
        head.register_forward_hook(lambda m, args, out: logits.append(out)),
        head.conv_seg.register_forward_pre_hook(
            lambda m, args: feats.append(args[0])),
    ]
    try:
        losses = model.loss(**copy.deepcopy(data))
    finally:
        for handle in handles:
            handle.remove()
    return losses, images, logits, feats


def upsampled(model, logits):
    return F.interpolate(
        logits.detach(), (64, 64), mode='bilinear',
        align_corners=model.last_head.align_corners)


def weak_valid(data):
    """Where the weak views are image, not padding."""
    return torch.stack([
        s.gt_sem_seg.data[0] != 255
        for s in data['data_samples']['unsup_weak']
    ])


def mixed_pseudo_labels(model, data, weak_logits):
    """Pseudo-labels, confidences and validity per pixel of the CutMixed
    strong views, by a loop: inside sample i's box, sample n-1-i's."""
    prob = upsampled(model, weak_logits).softmax(1)
    conf, labels = prob.max(1)
    valid = weak_valid(data)
    n = len(labels)
    out = [torch.empty_like(t) for t in (labels, conf, valid)]
    for i, sample in enumerate(data['data_samples']['unsup_strong']):
        x1, y1, x2, y2 = sample.metainfo['cutmix_box']
        for y in range(64):
            for x in range(64):
                src = n - 1 - i if x1 <= x < x2 and y1 <= y < y2 else i
                for mixed, value in zip(out, (labels, conf, valid)):
                    mixed[i, y, x] = value[src, y, x]
    return out


def test_unsup_loss_cutmix_threshold_padding_and_normaliser(cfg, data):
    # a probe on an identical model: a step moves the running statistics
    _, _, logits, _ = recorded_loss(build(cfg), data)
    weak_logits = logits[1]
    model = build(cfg)
    # a threshold that some pixels pass and others do not
    conf = upsampled(model, weak_logits).softmax(1).max(1)[0]
    threshold = conf.median().item()
    model.pseudo_labeler.threshold = threshold
    losses, images, logits, _ = recorded_loss(model, data)
    labels, conf, valid = mixed_pseudo_labels(model, data, weak_logits)
    assert torch.equal(logits[1], weak_logits)  # same pass again
    assert model.student.training

    # the strong images got the mirror sample's pixels in the same boxes
    strong = data['inputs']['unsup_strong']
    expected_images = strong.clone()
    expected_images[0, :, 9:30, 5:40] = strong[1, :, 9:30, 5:40]
    expected_images[1, :, 40:60, 10:30] = strong[0, :, 40:60, 10:30]
    assert torch.equal(images[2], expected_images)

    log_prob = upsampled(model, logits[2]).log_softmax(1)
    total, count = 0.0, 0
    for i in range(2):
        for y in range(64):
            for x in range(64):
                if not valid[i, y, x]:
                    continue
                count += 1
                if conf[i, y, x] >= threshold:
                    total -= log_prob[i, labels[i, y, x], y, x].item()
    # the first view's padding, and what the second view's box took of it
    assert not valid[0, 50:].any() and not valid[1, 50:60, 10:30].any()
    assert valid[1, 40:50, 10:30].equal(valid[0, 40:50, 10:30])
    expected = model.semi_train_cfg['unsup_weight'] * total / count
    assert losses['unsup.loss_s'].item() == pytest.approx(expected, rel=1e-4)
    assert 0 < expected
    # the share of confident pixels of the (unmixed) weak views
    weak_conf = upsampled(model, weak_logits).softmax(1).max(1)[0]
    valid = weak_valid(data)
    ratio = ((weak_conf >= threshold) & valid).sum() / valid.sum()
    assert losses['unsup.mask_ratio'].item() == pytest.approx(ratio.item())


def test_supervised_losses_are_the_segmentors_weighted(cfg, data):
    model = build(cfg)
    losses, _, logits, _ = recorded_loss(model, data)
    n_sup = len(data['inputs']['sup'])
    sup_samples = data['data_samples']['sup']
    head = model.student.decode_head
    assert len(logits[0]) == n_sup  # the labelled batch alone
    plain = head.loss_by_feat(logits[0], sup_samples)
    weight = model.semi_train_cfg['sup_weight']
    assert losses['sup.decode.loss_ce'].item() == pytest.approx(
        weight * plain['loss_ce'].item(), rel=1e-5)
    assert losses['sup.decode.acc_seg'] == pytest.approx(plain['acc_seg'])
    assert 'sup.aux.loss_ce' in losses
    assert torch.isfinite(sum(v for k, v in losses.items() if 'loss' in k))


@pytest.mark.parametrize('whose', ['loss', 'sar'])
def test_sar_pulls_only_confident_uniform_cells(cfg, data, whose):
    """SAR pulls the cells the pseudo-label loss keeps, or, with
    sar.unsup_conf_thresh, the kept ones that reach it as well."""
    _, _, logits, _ = recorded_loss(build(cfg), data)
    model = build(cfg, sar=dict())
    sar = model.sar
    # the gate held open with random anchors: the pull is measured as is
    sar.eval()
    sar.gate_open.fill_(True)
    sar.semantic_anchors.normal_()
    labels, conf, valid = mixed_pseudo_labels(model, data, logits[1])
    # a threshold between the cells' least confidences
    cell_min = (conf * valid).unfold(1, 8, 8).unfold(2, 8, 8).amin((-1, -2))
    threshold = cell_min.median().item()
    if whose == 'loss':
        model.pseudo_labeler.threshold = threshold
    else:
        model.pseudo_labeler.threshold = 0.
        sar.unsup_conf_thresh = threshold
    sar.unsup_pull_weight = 0.5
    losses, _, _, feats = recorded_loss(model, data)
    strong_feats = feats[2]
    total, kept, cells = 0.0, 0, 0
    for i in range(2):
        for cy in range(8):
            for cx in range(8):
                cells += 1
                block = (slice(cy * 8, cy * 8 + 8), slice(cx * 8, cx * 8 + 8))
                cell_labels = labels[i][block]
                if not (valid[i][block].all()
                        and (conf[i][block] >= threshold).all()
                        and (cell_labels == cell_labels[0, 0]).all()):
                    continue
                kept += 1
                target = sar.semantic_anchors[cell_labels[0, 0]]
                total += (strong_feats[i, :, cy, cx] -
                          target).pow(2).mean().item()
    assert 0 < kept < cells
    expected = sar.pull_weight * 0.5 * total / kept
    assert losses['unsup.loss_sar_pull'].item() == pytest.approx(
        expected, rel=1e-4)
    # labelled pixels are pulled with their ground truth
    gt = torch.stack(
        [s.gt_sem_seg.data[0] for s in data['data_samples']['sup']])
    expected_sup = sar.pull_weight * sar.pull_loss(feats[0], gt)
    assert losses['sup.loss_sar_pull'].item() == pytest.approx(
        expected_sup.item(), rel=1e-5)
    for key in ('loss_sar_anchor', 'sar_gate_open', 'sar_anchor_acc'):
        assert key in losses


def test_ema_teacher_gives_the_pseudo_labels(cfg, data):
    model = build(cfg, semi_train_cfg=dict(ema_teacher=True))
    with pytest.raises(UserInputError, match='MeanTeacherHook'):
        model.loss(**copy.deepcopy(data))
    model.teacher_synced = True
    assert not model.teacher.training
    assert not any(p.requires_grad for p in model.teacher.parameters())
    model.train()  # mmengine does this every iteration
    assert not model.teacher.training
    with torch.no_grad():
        teacher_logits = model.teacher.decode_head(
            model.teacher.extract_feat(data['inputs']['unsup_weak']))
    conf = upsampled(model, teacher_logits).softmax(1).max(1)[0]
    model.pseudo_labeler.threshold = conf.median().item()
    losses = model.loss(**copy.deepcopy(data))
    valid = weak_valid(data)
    ratio = ((conf >= conf.median()) & valid).sum() / valid.sum()
    assert losses['unsup.mask_ratio'].item() == pytest.approx(ratio.item())


def test_checkpoint_holds_the_plain_segmentor(cfg, data, tmp_path):
    """The student under the plain keys; the teacher, SAR and the
    pseudo-labelling state (trained, here by hand) next to them."""
    flexmatch = dict(type='FlexMatchThreshold')
    model = build(cfg, sar=dict(), semi_train_cfg=dict(ema_teacher=True),
                  pseudo_label=flexmatch)
    for buffer in model.pseudo_labeler.buffers():
        buffer.fill_(0.25)
    state = model.state_dict()
    init_default_scope('mmseg')
    plain = MODELS.build(cfg.model.segmentor).eval()
    plain_keys = set(plain.state_dict())
    assert plain_keys <= set(state)
    extra = set(state) - plain_keys
    assert extra and all(
        k.startswith(('teacher.', 'sar.', 'pseudo_labeler.')) for k in extra)
    assert any(k.startswith('pseudo_labeler.') for k in extra)
    torch.save(dict(state_dict=state), tmp_path / 'semi.pth')
    load_checkpoint(plain, str(tmp_path / 'semi.pth'))
    for key, value in plain.state_dict().items():
        assert torch.equal(value, state[key]), key
    # and back: a semi model loads its own checkpoint, keys and all
    again = build(cfg, sar=dict(), semi_train_cfg=dict(ema_teacher=True),
                  pseudo_label=flexmatch)
    again.load_state_dict(state)
    for key, value in again.state_dict().items():
        assert torch.equal(value, state[key]), key


def test_plain_checkpoint_initialises_student_and_teacher(cfg):
    """...and leaves the training state it does not have as it is."""
    init_default_scope('mmseg')
    torch.manual_seed(1)
    plain = MODELS.build(cfg.model.segmentor)
    model = build(cfg, semi_train_cfg=dict(ema_teacher=True), sar=dict())
    fresh = {k: v.clone() for k, v in model.state_dict().items()
             if k.startswith(('sar.', 'pseudo_labeler.'))}
    model.load_state_dict(plain.state_dict())
    for key, value in fresh.items():
        assert torch.equal(model.state_dict()[key], value), key
    for name, value in plain.state_dict().items():
        student = model.student.state_dict()[name]
        teacher = model.teacher.state_dict()[name]
        assert torch.equal(student, value) and torch.equal(teacher, value)


@pytest.mark.parametrize('segmentor,match', [
    (dict(type='ImageClassifier'), 'segmentor must be the config of an '
     'mmseg EncoderDecoder'),
    (dict(type='SAREncoderDecoder'), 'switch SAR on with sar=dict()'),
])
def test_refuses_segmentors_that_are_not_pixel_classifiers(
        cfg, segmentor, match):
    with pytest.raises(UserInputError, match=match):
        build(cfg, segmentor=segmentor)


def test_refuses_a_binary_head(cfg):
    segmentor = copy.deepcopy(cfg.model.segmentor)
    segmentor.decode_head.update(
        num_classes=2, out_channels=1,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=True))
    with pytest.raises(UserInputError, match='binary mode'):
        build(cfg, segmentor=segmentor)


@pytest.mark.parametrize('semi_train_cfg,match', [
    (dict(conf_threshold=0.9), r"unknown key\(s\) \['conf_threshold'\]"),
    (dict(conf_thresh=1.5), r'conf_thresh .* must be a number in \[0, 1\]'),
    (dict(ema_teacher='yes'), 'ema_teacher .* must be True or False'),
])
def test_refuses_bad_semi_train_cfg(cfg, semi_train_cfg, match):
    with pytest.raises(UserInputError, match=match):
        build(cfg, semi_train_cfg=semi_train_cfg)


@pytest.mark.parametrize('changes,match', [
    (dict(semi_train_cfg=dict(sar_conf_thresh=0.9)),
     r'semi_train_cfg.sar_conf_thresh of FixMatchSegmentor is no longer a '
     r'setting: set sar=dict\(unsup_conf_thresh=...\) instead'),
    (dict(semi_train_cfg=dict(sar_unsup_weight=2)),
     r'set sar=dict\(unsup_pull_weight=...\) instead'),
    (dict(pseudo_label=dict(type='Confident')),
     r"unknown pseudo_label type 'Confident' of FixMatchSegmentor"),
    (dict(pseudo_label=dict(type='FlexMatchThreshold', momentum=1.5)),
     r'momentum must be a number in \[0, 1\], got 1.5'),
])
def test_refuses_moved_and_conflicting_settings(cfg, changes, match):
    with pytest.raises(UserInputError, match=match) as info:
        build(cfg, **changes)
    assert '\n' not in str(info.value)


def test_pseudo_label_strategy_keeps_and_learns_in_the_step(cfg, data):
    """A strategy chosen in the config gives the keep-mask of the step
    (logged as the mask ratio) and updates its state once per step."""
    model = build(cfg, pseudo_label=dict(type='FreeMatchThreshold'))
    state = {k: v.clone() for k, v in
             model.pseudo_labeler.state_dict().items()}
    losses = model.loss(**data)
    assert 0 <= losses['unsup.mask_ratio'] <= 1
    moved = [k for k, v in model.pseudo_labeler.state_dict().items()
             if v.numel() and not torch.equal(v, state[k])]
    assert moved


def test_burn_in_turns_the_unlabelled_losses_off(cfg, data):
    """Every unlabelled term (CutMix CE and SAR's unlabelled pull) is 0
    during burn-in, the labelled ones are untouched; after it, the same
    batch gives the terms at full weight."""
    model = build(cfg, sar=dict(),
                  semi_train_cfg=dict(burn_in_iters=1, warmup_iters=1))
    model.sar.eval()
    model.sar.gate_open.fill_(True)
    model.sar.semantic_anchors.normal_()
    model.pseudo_labeler.threshold = 0.
    hub = MessageHub.get_instance('test_burn_in')
    MessageHub._instance_dict.move_to_end('test_burn_in')
    try:
        hub.update_info('iter', 0)
        off = model.loss(**data)
        hub.update_info('iter', 1)
        on = model.loss(**data)
    finally:
        hub.pop_info('iter')
    unsup = [k for k in on if k.startswith('unsup.loss')]
    assert {'unsup.loss_s', 'unsup.loss_sar_pull'} <= set(unsup)
    for key in unsup:
        assert off[key].item() == 0 and on[key].item() > 0, key
    for key in ('sup.decode.loss_ce', 'sup.loss_sar_pull'):
        torch.testing.assert_close(off[key], on[key])


def test_predict_on_the_teacher(cfg, data):
    model = build(cfg, semi_train_cfg=dict(ema_teacher=True),
                  semi_test_cfg=dict(predict_on='teacher')).eval()
    for param in model.teacher.parameters():
        param.data.normal_()
    images = data['inputs']['sup']
    samples = copy.deepcopy(data['data_samples']['sup'])
    predicted = model.predict(images, samples)
    by_teacher = model.teacher.predict(images, copy.deepcopy(samples))
    by_student = model.student.predict(images, copy.deepcopy(samples))
    for ours, teacher, student in zip(predicted, by_teacher, by_student):
        assert torch.equal(ours.seg_logits.data, teacher.seg_logits.data)
        assert not torch.equal(ours.seg_logits.data, student.seg_logits.data)


@pytest.mark.parametrize('changes,match', [
    (dict(semi_test_cfg=dict(predict_on='teacher')),
     r"predict_on='teacher' of FixMatchSegmentor needs the EMA teacher: "
     r'set semi_train_cfg.ema_teacher=True'),
    (dict(semi_test_cfg=dict(predict_on='ema')),
     r"predict_on of FixMatchSegmentor must be 'student' or 'teacher', got "
     r"'ema'"),
    (dict(semi_test_cfg=dict(predict='teacher')),
     r"unknown key\(s\) \['predict'\] in semi_test_cfg"),
    (dict(semi_train_cfg=dict(burn_in_iters=-5)),
     r'burn_in_iters of semi_train_cfg of FixMatchSegmentor must be an int '
     r'>= 0'),
])
def test_refuses_bad_test_and_ramp_settings(cfg, changes, match):
    with pytest.raises(UserInputError, match=match):
        build(cfg, **changes)


def test_unknown_sar_key_is_the_builders_error(cfg):
    with pytest.raises(UserInputError,
                       match=r"unknown key\(s\) \['trade_off'\] in sar"):
        build(cfg, sar=dict(trade_off=0.1))


def test_batch_without_the_branches_is_refused(cfg, data):
    model = build(cfg)
    plain = dict(inputs=data['inputs']['sup'],
                 data_samples=data['data_samples']['sup'])
    with pytest.raises(UserInputError, match='trains on batches with the '
                       'branches'):
        model.loss(**plain)


def test_cascade_segmentor(cfg, data):
    """OCRNet (CascadeEncoderDecoder): every stage's supervised loss, the
    strong views' loss from the last stage, SAR on the OCR head."""
    ocr = Config.fromstring(
        "_base_ = ['mmseg::_base_/models/ocrnet_r50-d8.py']", '.py').model
    norm_cfg = dict(type='BN', requires_grad=True)
    ocr.update(pretrained=None, data_preprocessor=cfg.model.segmentor.
               data_preprocessor)
    ocr.backbone.update(depth=18, norm_cfg=norm_cfg)
    ocr.decode_head[0].update(in_channels=256, channels=32, num_classes=11,
                              norm_cfg=norm_cfg)
    ocr.decode_head[1].update(in_channels=512, channels=32, ocr_channels=16,
                              num_classes=11, norm_cfg=norm_cfg)
    model = build(cfg, segmentor=ocr, sar=dict())
    assert model.sar.feat_channels == 32
    losses = model.loss(**copy.deepcopy(data))
    for key in ('sup.decode_0.loss_ce', 'sup.decode_1.loss_ce',
                'unsup.loss_s', 'unsup.loss_sar_pull', 'loss_sar_anchor'):
        assert torch.isfinite(losses[key]), key
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    assert model.student.decode_head[1].conv_seg.weight.grad is not None
