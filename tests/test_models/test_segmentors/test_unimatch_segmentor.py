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
    # without dropout the perturbed stream predicts the weak view itself:
    # its loss is -log(confidence) over confident pixels / valid pixels
    model = unimatch(cfg, fp_dropout=0.0)
    _, _, logits, _ = recorded_loss(model, unimatch_data)
    n_sup = len(unimatch_data['inputs']['sup'])
    n_unsup = len(unimatch_data['inputs']['unsup_weak'])
    weak = logits[0][n_sup:n_sup + n_unsup]
    assert torch.equal(logits[0][n_sup + n_unsup:], weak)
    conf = upsampled(model, weak).softmax(1).max(1)[0]
    threshold = conf.median().item()
    model.pseudo_labeler.threshold = threshold
    losses, _, _, _ = recorded_loss(model, unimatch_data)
    valid = weak_valid(unimatch_data)
    confident = (conf >= threshold) & valid
    expected = -conf[confident].log().sum() / valid.sum()
    assert losses['unsup.loss_fp'].item() == pytest.approx(
        0.25 * expected.item(), rel=1e-4)


def test_dropout_perturbs_whole_channels_of_the_weak_features(
        cfg, unimatch_data):
    model = unimatch(cfg)
    heads_inputs = []
    handle = model.student.decode_head.register_forward_pre_hook(
        lambda m, args: heads_inputs.append(args[0]))
    model.loss(**copy.deepcopy(unimatch_data))
    handle.remove()
    n_sup = len(unimatch_data['inputs']['sup'])
    n_unsup = len(unimatch_data['inputs']['unsup_weak'])
    for level in heads_inputs[0]:
        clean = level[n_sup:n_sup + n_unsup]
        perturbed = level[n_sup + n_unsup:]
        assert len(perturbed) == n_unsup  # labelled images not perturbed
        dropped = perturbed.flatten(2).abs().sum(-1) == 0
        kept = ~dropped
        assert dropped.any() and kept.any()
        # Dropout2d(0.5) scales the channels it keeps by 2
        torch.testing.assert_close(perturbed[kept], 2 * clean[kept])


def test_two_strong_views_with_the_references_weights(cfg, unimatch_data):
    model = unimatch(cfg, conf_thresh=0.0)
    losses, images, _, _ = recorded_loss(model, unimatch_data)
    assert {'unsup.loss_s1', 'unsup.loss_s2', 'unsup.loss_fp',
            'sup.decode.loss_ce'} <= set(losses)
    assert model.semi_train_cfg['sup_weight'] == 0.5
    assert model.semi_train_cfg['unsup_weight'] == 0.25  # 0.125 per view
    assert model.semi_train_cfg['fp_weight'] == 0.25
    # one pass over both strong views, each mixed with its own boxes
    strong1 = unimatch_data['inputs']['unsup_strong1']
    strong2 = unimatch_data['inputs']['unsup_strong2']
    expected2 = strong2.clone()
    expected2[0, :, 0:20, 0:64] = strong2[1, :, 0:20, 0:64]
    assert torch.equal(images[1][2:], expected2)
    assert not torch.equal(images[1][:2], strong1)  # its boxes applied
