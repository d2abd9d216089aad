"""Strict checkpoint loading and the class-vector lookup, on real mmseg
and mmpretrain models built from the test configs."""

import pytest
import torch
from mmengine.config import Config

from sar_mm.analysis.class_vectors import (class_vectors, find_class_vectors,
                                           maybe_class_vectors)
from sar_mm.analysis.model_loading import (CheckpointMismatchError,
                                           load_model)
from sar_mm.compat.checkpoint import CheckpointError
from sar_mm.engine.launch import load_config
from sar_mm.utils import UserInputError
from tests.test_compat.test_checkpoint import write_malicious_checkpoint
from tests.utils import REPO, TEST_CONFIGS


def config(name):
    return load_config(str(TEST_CONFIGS / name))


@pytest.fixture(scope='module')
def seg_cfgs():
    return (config('fcn_tiny_lt-digit-scenes.py'),
            config('fcn_tiny_lt-digit-scenes_sar.py'))


def save_model(cfg, path, **extra):
    from mmengine.registry import MODELS
    model = MODELS.build(cfg.model)
    torch.save(dict(state_dict=model.state_dict(), **extra), path)
    return model


def test_matching_checkpoint_loads_with_its_weights(seg_cfgs, tmp_path):
    base, _ = seg_cfgs
    saved = save_model(base, tmp_path / 'ok.pth',
                       meta=dict(dataset_meta=dict(classes=('a', 'b'))))
    model, meta = load_model(base, str(tmp_path / 'ok.pth'))
    assert not model.training
    assert meta['dataset_meta']['classes'] == ('a', 'b')
    assert model.dataset_meta['classes'] == ('a', 'b')
    torch.testing.assert_close(model.decode_head.conv_seg.weight,
                               saved.decode_head.conv_seg.weight)


def test_mismatch_lists_the_first_keys(seg_cfgs, tmp_path):
    base, sar = seg_cfgs
    save_model(base, tmp_path / 'base.pth')
    with pytest.raises(CheckpointMismatchError) as err:
        load_model(sar, str(tmp_path / 'base.pth'))
    message = str(err.value)
    assert 'does not match the model of' in message
    assert 'missing key(s) (in the model, not in the checkpoint): ' \
        'sar.predefined_anchors, sar.semantic_anchors' in message
    assert 'more)' in message and 'unexpected' not in message

    base.model.decode_head.num_classes = 5
    save_model(base, tmp_path / 'five.pth')
    base.model.decode_head.num_classes = 11
    with pytest.raises(
            CheckpointMismatchError,
            match=r'shape mismatch\(es\): decode_head.conv_seg.weight '
            r'\(checkpoint \(5, 64, 1, 1\), model \(11, 64, 1, 1\)\)'):
        load_model(base, str(tmp_path / 'five.pth'))


def test_sar_checkpoint_loads_into_the_plain_config(seg_cfgs, tmp_path):
    """SAR's anchors are training state: the plain model takes the rest."""
    base, sar = seg_cfgs
    saved = save_model(sar, tmp_path / 'sar.pth')
    model, _ = load_model(base, str(tmp_path / 'sar.pth'))
    assert not hasattr(model, 'sar')
    torch.testing.assert_close(model.decode_head.conv_seg.weight,
                               saved.decode_head.conv_seg.weight)


def test_malicious_checkpoint_is_refused(seg_cfgs, tmp_path):
    marker = tmp_path / 'payload_ran'
    write_malicious_checkpoint(tmp_path / 'evil.pth', marker)
    with pytest.raises(CheckpointError, match='refused to load'):
        load_model(seg_cfgs[0], str(tmp_path / 'evil.pth'))
    assert not marker.exists()


def test_class_vectors_of_a_segmentor(seg_cfgs, tmp_path):
    base, sar = seg_cfgs
    model = save_model(base, tmp_path / 'b.pth')
    weights, what = class_vectors(model, 'classifier')
    assert weights.shape == (11, 64) and 'conv_seg' in what
    assert maybe_class_vectors(model, 'anchors') is None
    with pytest.raises(UserInputError, match='not a SAR model'):
        class_vectors(model, 'anchors')
    with pytest.raises(UserInputError, match='unknown kind'):
        class_vectors(model, 'centroids')
    with pytest.raises(UserInputError, match='not a BCLHead'):
        class_vectors(model, 'prototypes')
    vectors, key = find_class_vectors(model, 11,
                                      key='auxiliary_head.conv_seg.weight')
    assert vectors.shape == (11, 32)
    with pytest.raises(UserInputError, match='not one row per class'):
        find_class_vectors(model, 11, key='decode_head.conv_seg.bias')
    with pytest.raises(UserInputError, match='similar keys: decode_head'):
        find_class_vectors(model, 11, key='conv_seg.weight')

    sar_model = save_model(sar, tmp_path / 's.pth')
    # gate never opened: the projected anchors, with a warning
    with pytest.warns(UserWarning, match='gate never opened'):
        anchors, what = class_vectors(sar_model.eval(), 'anchors')
    assert anchors.shape == (11, 64) and 'projected' in what
    sar_model.sar.semantic_anchors.normal_()
    sar_model.sar.anchors_initialized.fill_(True)
    anchors, what = class_vectors(sar_model, 'anchors')
    assert what == 'SAR semantic anchors (EMA)'
    assert torch.equal(anchors, sar_model.sar.semantic_anchors)


def test_class_vectors_of_a_classifier(tmp_path):
    cfg = config('resnet_tiny_lt-digits.py')
    model = save_model(cfg, tmp_path / 'c.pth')
    weights, what = class_vectors(model, 'classifier')
    assert torch.equal(weights, model.head.fc.weight) and '(fc)' in what
    with pytest.raises(UserInputError, match='ImageClassifier has no '
                       'anchors: it is not a SAR model'):
        class_vectors(model, 'anchors')


def test_class_vectors_of_a_vit_sar_classifier(tmp_path):
    model = save_model(config('sar_vit-tiny_lt-digits.py'), tmp_path / 'v.pth')
    weights, what = class_vectors(model, 'classifier')
    assert torch.equal(weights, model.head.layers.head.weight)
    assert '(layers.head)' in what
    with pytest.warns(UserWarning, match='gate never opened'):
        anchors, _ = class_vectors(model.eval(), 'anchors')
    assert anchors.shape == (10, 48)  # the head's hidden width


def test_prototypes_of_a_bcl_model(mmpretrain_scope):
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(str(REPO / 'configs/demo/bcl_lt-digits.py'))
    model = MODELS.build(cfg.model).train()
    prototypes, what = class_vectors(model, 'prototypes')
    assert prototypes.shape == (10, 128) and what == 'BCL prototypes'
    assert model.head.training  # left as found
    expected = model.head.eval().prototype_projector(model.head.fc.weight)
    torch.testing.assert_close(prototypes, expected)


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a CPU-only run')
def test_cuda_without_cuda_is_a_clear_error():
    from sar_mm.analysis.cli import check_device
    with pytest.raises(UserInputError, match='--device cpu'):
        check_device('cuda')
