"""UniMatchSegmentor: the feature-perturbation loss by hand, two strong
views with their own boxes, and the reference's loss weights."""
import copy

import pytest
import torch

from tests.test_models.test_segmentors.test_fixmatch_segmentor import (  # noqa: F401,E501
    build, cfg, data, recorded_loss, upsampled, weak_valid)


@pytest.fixture
def unimatch_data(data):
    """The FixMatch test batch with two strong views: the first with its
    boxes, the second the weak images with other boxes."""
    data = copy.deepcopy(data)
    data['inputs']['unsup_strong1'] = data['inputs'].pop('unsup_strong')
    data['data_samples']['unsup_strong1'] = data['data_samples'].pop(
        'unsup_strong')
    data['inputs']['unsup_strong2'] = data['inputs']['unsup_weak'].clone()
    second = copy.deepcopy(data['data_samples']['unsup_weak'])
    for sample, box in zip(second, [(0, 0, 64, 20), (0, 0, 0, 0)]):
        sample.set_metainfo(dict(cutmix_box=box))
    data['data_samples']['unsup_strong2'] = second
    return data


def unimatch(cfg, **semi_train_cfg):
    return build(
        cfg, type='UniMatchSegmentor', semi_train_cfg=semi_train_cfg)


def test_feature_perturbation_loss_by_hand(cfg, unimatch_data):
    """The perturbed pass (the 4th: after the labelled, weak and strong
    ones) learns the weak pass's pseudo-labels: CE over kept pixels /
    valid pixels, times fp_weight."""
    probe = unimatch(cfg)
    _, _, logits, _ = recorded_loss(probe, unimatch_data)
    conf = upsampled(probe, logits[1]).softmax(1).max(1)[0]
    threshold = conf.median().item()
    model = unimatch(cfg)
    model.pseudo_labeler.threshold = threshold
    losses, _, logits, _ = recorded_loss(model, unimatch_data)
    assert len(logits) == 4
    conf, labels = upsampled(model, logits[1]).softmax(1).max(1)
    log_prob = upsampled(model, logits[3]).log_softmax(1)
    valid = weak_valid(unimatch_data)
    total = 0.0
    for i in range(2):
        for y in range(64):
            for x in range(64):
                if valid[i, y, x] and conf[i, y, x] >= threshold:
                    total -= log_prob[i, labels[i, y, x], y, x].item()
    expected = model.semi_train_cfg['fp_weight'] * total / valid.sum()
    assert 0 < expected
    assert losses['unsup.loss_fp'].item() == pytest.approx(
        expected.item(), rel=1e-4)


def test_dropout_perturbs_whole_channels_of_the_weak_features(
        cfg, unimatch_data):
    model = unimatch(cfg)
    encoded, decoded = [], []
    handles = [
        model.student.backbone.register_forward_hook(
            lambda m, args, out: encoded.append(out)),
        model.student.decode_head.register_forward_pre_hook(
            lambda m, args: decoded.append(args[0])),
    ]
    model.loss(**copy.deepcopy(unimatch_data))
    for handle in handles:
        handle.remove()
    # the 4th pass encodes the weak images and decodes their perturbed
    # features; the labelled images are not perturbed
    assert len(encoded[3][0]) == len(unimatch_data['inputs']['unsup_weak'])
    for clean, perturbed in zip(encoded[3], decoded[3]):
        dropped = perturbed.flatten(2).abs().sum(-1) == 0
        kept = ~dropped
        assert dropped.any() and kept.any()
        # Dropout2d(0.5) scales the channels it keeps by 2
        torch.testing.assert_close(perturbed[kept], 2 * clean[kept])
    for clean, seen in zip(encoded[0], decoded[0]):
        assert torch.equal(clean, seen)


def test_two_strong_views_with_the_references_ratios(cfg, unimatch_data):
    model = unimatch(cfg, conf_thresh=0.0)
    losses, images, _, _ = recorded_loss(model, unimatch_data)
    assert {'unsup.loss_s1', 'unsup.loss_s2', 'unsup.loss_fp',
            'sup.decode.loss_ce'} <= set(losses)
    # the reference's ratios, the labelled loss at its supervised weight
    assert model.semi_train_cfg['sup_weight'] == 1.0
    assert model.semi_train_cfg['unsup_weight'] == 0.5  # 0.25 per view
    assert model.semi_train_cfg['fp_weight'] == 0.5
    # one pass over both strong views, each mixed with its own boxes
    strong1 = unimatch_data['inputs']['unsup_strong1']
    strong2 = unimatch_data['inputs']['unsup_strong2']
    expected2 = strong2.clone()
    expected2[0, :, 0:20, 0:64] = strong2[1, :, 0:20, 0:64]
    assert torch.equal(images[2][2:], expected2)
    assert not torch.equal(images[2][:2], strong1)  # its boxes applied
