"""SAR on real mmseg segmentors: every shipped config, cascades, inference parity with the base model, and the error cases."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS

from benchmarks.common import fake_seg_batch
from sar_mm.models.sar import capture_classifier_input
from sar_mm.models.segmentors import check_sar_config
from sar_mm.utils import UserInputError
from tests.utils import REPO

SAR_CONFIGS = sorted((REPO / 'configs' / 'sar').glob('*-sar_*.py'))
CROP = (64, 64)


def upstream(path):
    """An mmseg config, inherited the way users do."""
    return Config.fromstring(f"_base_ = ['mmseg::{path}']", '.py')


def build(cfg_model, **overrides):
    init_default_scope('mmseg')
    cfg_model = copy.deepcopy(cfg_model)
    cfg_model.update(overrides)
    cfg_model.data_preprocessor.size = CROP
    cfg_model.pretrained = None
    if cfg_model.backbone.get('init_cfg'):
        cfg_model.backbone.init_cfg = None
    # single-process CPU run, as mmengine's Runner does for SyncBN
    return revert_sync_batchnorm(MODELS.build(cfg_model))


def batch(num_classes, seed=0):
    return fake_seg_batch(num_classes, CROP[0], 2, ignore_rows=8, seed=seed)


def train_step(model):
    num_classes = model.sar.num_classes
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    model.train()
    return model.train_step(batch(num_classes), optim)


@pytest.mark.parametrize('config', SAR_CONFIGS, ids=lambda p: p.stem)
def test_each_sar_config_trains_one_cpu_step(config):
    cfg = Config.fromfile(str(config))
    model = build(cfg.model)
    head = model.sar_head
    assert model.sar.feat_channels == head.conv_seg.in_channels
    assert model.sar.num_classes == head.num_classes
    log = train_step(model)
    for key in ('loss', 'loss_sar_anchor', 'loss_sar_pull', 'sar_gate_open',
                'sar_anchor_acc'):
        assert key in log and torch.isfinite(log[key]), key
    assert any(k.startswith('aux') for k in log) == (
        model.with_auxiliary_head)


# (other mmseg heads with the two-line switch: the FCN, PSPNet and
# DeepLabV3+ rows, among others, of test_sar_model_zoo.test_trains_with_sar)


def test_sar_sees_the_pre_dropout_features_of_the_decode_head():
    cfg = Config.fromfile(str(REPO / 'configs/sar/deeplabv3_r50_ade20k_sar.py'))
    model = build(cfg.model)
    head = model.sar_head
    assert head.dropout is not None and model.sar.feat_channels == 512
    model.train()
    data = model.data_preprocessor(batch(150), training=True)
    feats = model.extract_feat(data['inputs'])
    torch.manual_seed(0)
    with capture_classifier_input(head) as captured:
        head.forward(feats)
    torch.manual_seed(0)
    expected = head._forward_feature(feats)
    torch.testing.assert_close(captured[0], expected)
    assert 'cls_seg' not in vars(head)  # the wrapper is removed again


def test_cascade_regularises_the_last_head_only():
    cfg = Config.fromfile(
        str(REPO / 'configs/sar/ocrnet-sar_hr48_4xb4-160k_ade20k-512x512.py'))
    model = build(cfg.model)
    assert model.sar_head is model.decode_head[-1]
    assert type(model.sar_head).__name__ == 'OCRHead'
    assert model.sar.feat_channels == model.decode_head[-1].channels


def test_sar_checkpoint_predicts_like_the_base_model():
    cfg = Config.fromfile(
        str(REPO / 'configs/demo/fcn_lt-digit-scenes_sar.py'))
    sar_model = build(cfg.model)
    train_step(sar_model)  # move BN statistics and weights off init
    base_cfg = copy.deepcopy(cfg.model)
    base_cfg.pop('sar')
    base = build(base_cfg, type='EncoderDecoder')
    assert type(base) is EncoderDecoder
    missing, unexpected = base.load_state_dict(
        sar_model.state_dict(), strict=False)
    assert missing == []
    assert unexpected and all(k.startswith('sar.') for k in unexpected)
    sar_model.eval()
    base.eval()
    data = batch(11, seed=1)
    with torch.no_grad():
        ours = sar_model.test_step(data)
        theirs = base.test_step(data)
    for a, b in zip(ours, theirs):
        assert torch.equal(a.seg_logits.data, b.seg_logits.data)
        assert torch.equal(a.pred_sem_seg.data, b.pred_sem_seg.data)


def test_sar_state_is_saved_with_the_model():
    cfg = Config.fromfile(
        str(REPO / 'configs/demo/fcn_lt-digit-scenes_sar.py'))
    model = build(cfg.model)
    keys = model.state_dict().keys()
    for name in ('predefined_anchors', 'semantic_anchors',
                 'anchors_initialized', 'gate_open'):
        assert f'sar.{name}' in keys


def test_config_ignore_index_reaches_the_core():
    cfg = Config.fromfile(
        str(REPO / 'configs/demo/fcn_lt-digit-scenes_sar.py'))
    model = build(cfg.model, sar=dict(ignore_index=[0, 255]))
    assert model.sar.ignore_index == (0, 255)
    model = build(cfg.model)
    assert model.sar.ignore_index == (model.decode_head.ignore_index, )


def test_head_without_conv_seg_is_named():
    cfg = upstream('segmenter/segmenter_vit-t_mask_8xb1-160k_ade20k-512x512.py')
    with pytest.raises(UserInputError, match='SegmenterMaskTransformerHead'):
        build(cfg.model, type='SAREncoderDecoder', sar=dict())


def test_unknown_sar_key_lists_the_valid_ones():
    cfg = Config.fromfile(
        str(REPO / 'configs/demo/fcn_lt-digit-scenes_sar.py'))
    with pytest.raises(UserInputError, match=r"unknown key\(s\) \['trade_off'\]"
                       r'.*pull_weight'):
        build(cfg.model, sar=dict(trade_off=0.1))


def test_binary_head_is_refused():
    cfg = Config.fromfile(
        str(REPO / 'configs/demo/fcn_lt-digit-scenes_sar.py'))
    head = copy.deepcopy(cfg.model.decode_head)
    head.update(num_classes=2, out_channels=1,
                loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=True))
    with pytest.raises(UserInputError, match='binary mode'):
        build(cfg.model, decode_head=head)


def test_sar_config_check_leaves_other_models_alone():
    """Only SAR segmentors are checked; a plain Mask2Former config (which
    SAR would refuse) passes, and a SAR one is refused by class."""
    model = upstream('pspnet/pspnet_r50-d8_4xb4-80k_ade20k-512x512.py').model
    model.decode_head.type = 'Mask2FormerHead'
    check_sar_config(model)
    check_sar_config(None)
    for segmentor in ('SAREncoderDecoder', 'mmseg.SAREncoderDecoder'):
        model.type = segmentor
        with pytest.raises(UserInputError, match='Mask2FormerHead'):
            check_sar_config(model)
