"""SAR across mmseg 1.2.2's own model zoo.

Each config is inherited as users do (``_base_ = ['mmseg::...']``) and
switched to SAR with the two documented lines. It either trains with SAR
(the real model, shrunk to 64 px, one training step on generated data, the
SAR losses in the log) or is refused through ``tools/train.py`` in exactly
one line, without a traceback, that says why and what to do.
"""
import textwrap

import pytest
import torch

from tests.lt_fakes import write_fake_ade20k, write_fake_cityscapes
from tests.test_models.test_segmentors.test_sar_segmentor import (build,
                                                                  train_step,
                                                                  upstream)
from tests.utils import one_error_line, run_tool, scalars

SAR_LOGS = ('loss_sar_anchor', 'loss_sar_pull', 'sar_gate_open',
            'sar_anchor_acc')

# architecture: an mmseg config of it (the lightest variant), decode heads
# regularised by SAREncoderDecoder
ENCODER_DECODERS = {
    'ANN': 'ann/ann_r50-d8_4xb4-80k_ade20k-512x512.py',
    'APCNet': 'apcnet/apcnet_r50-d8_4xb4-80k_ade20k-512x512.py',
    'BiSeNetV1': 'bisenetv1/bisenetv1_r18-d32_4xb4-160k_cityscapes-'
    '1024x1024.py',
    'BiSeNetV2': 'bisenetv2/bisenetv2_fcn_4xb4-160k_cityscapes-1024x1024.py',
    'DANet': 'danet/danet_r50-d8_4xb4-80k_ade20k-512x512.py',
    'DDRNet': 'ddrnet/ddrnet_23-slim_in1k-pre_2xb6-120k_cityscapes-'
    '1024x1024.py',
    'DeepLabV3': 'deeplabv3/deeplabv3_r18-d8_4xb2-80k_cityscapes-512x1024.py',
    'DeepLabV3+': 'deeplabv3plus/deeplabv3plus_r18-d8_4xb2-80k_cityscapes-'
    '512x1024.py',
    'DMNet': 'dmnet/dmnet_r50-d8_4xb4-80k_ade20k-512x512.py',
    'DNLNet': 'dnlnet/dnl_r50-d8_4xb4-80k_ade20k-512x512.py',
    'DPT': 'dpt/dpt_vit-b16_8xb2-160k_ade20k-512x512.py',
    'EMANet': 'emanet/emanet_r50-d8_4xb2-80k_cityscapes-512x1024.py',
    'EncNet': 'encnet/encnet_r50-d8_4xb4-80k_ade20k-512x512.py',
    'ERFNet': 'erfnet/erfnet_fcn_4xb4-160k_cityscapes-512x1024.py',
    'FastFCN': 'fastfcn/fastfcn_r50-d32_jpu_aspp_4xb4-80k_ade20k-512x512.py',
    'Fast-SCNN': 'fastscnn/fast_scnn_8xb4-160k_cityscapes-512x1024.py',
    'FCN': 'fcn/fcn_r18-d8_4xb2-80k_cityscapes-512x1024.py',
    'GCNet': 'gcnet/gcnet_r50-d8_4xb4-80k_ade20k-512x512.py',
    'HRNet': 'hrnet/fcn_hr18s_4xb4-80k_ade20k-512x512.py',
    'ICNet': 'icnet/icnet_r18-d8_4xb2-80k_cityscapes-832x832.py',
    'ISANet': 'isanet/isanet_r50-d8_4xb4-80k_ade20k-512x512.py',
    'MobileNetV2': 'mobilenet_v2/mobilenet-v2-d8_deeplabv3_4xb4-160k_ade20k-'
    '512x512.py',
    'NonLocal': 'nonlocal_net/nonlocal_r50-d8_4xb4-80k_ade20k-512x512.py',
    'PoolFormer': 'poolformer/fpn_poolformer_s12_8xb4-40k_ade20k-512x512.py',
    'PSPNet': 'pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py',
    'SegFormer': 'segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py',
    'Segmenter (linear)': 'segmenter/segmenter_vit-s_fcn_8xb1-160k_ade20k-'
    '512x512.py',
    'SegNeXt': 'segnext/segnext_mscan-t_1xb16-adamw-160k_ade20k-512x512.py',
    'Sem-FPN': 'sem_fpn/fpn_r50_4xb4-160k_ade20k-512x512.py',
    'Swin': 'swin/swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_'
    'ade20k-512x512.py',
    'Twins': 'twins/twins_pcpvt-s_fpn_fpnhead_8xb4-80k_ade20k-512x512.py',
    'UNet': 'unet/unet-s5-d16_fcn_4xb4-40k_drive-64x64.py',
    'UPerNet': 'upernet/upernet_r18_4xb4-80k_ade20k-512x512.py',
    'ViT': 'vit/vit_deit-s16_upernet_8xb2-160k_ade20k-512x512.py',
}
# cascades, regularised on their last head by SARCascadeEncoderDecoder
CASCADES = {
    'OCRNet': 'ocrnet/ocrnet_hr18s_4xb4-80k_ade20k-512x512.py',
}
OCRNET = CASCADES['OCRNet']
PSPNET = ENCODER_DECODERS['PSPNet']

# refused through tools/train.py: architecture -> (config, SAR segmentor
# the user picked, what the one line must say)
REFUSED = {
    'CCNet (compiled op)':
    ('ccnet/ccnet_r50-d8_4xb4-80k_ade20k-512x512.py', 'SAREncoderDecoder',
     'needs mmcv\'s compiled ops, and this environment has mmcv-lite. '
     'Build the full mmcv with `make install MMCV=full`'),
    'PSANet (compiled op)':
    ('psanet/psanet_r50-d8_4xb4-80k_ade20k-512x512.py', 'SAREncoderDecoder',
     'mmcv.ops.PSAMask needs mmcv\'s compiled ops'),
    'Mask2Former':
    ('mask2former/mask2former_r50_8xb2-160k_ade20k-512x512.py',
     'SAREncoderDecoder', "(Mask2FormerHead), Mask2Former's head, a mask "
     'classifier'),
    'MaskFormer':
    ('maskformer/maskformer_r50-d32_8xb2-160k_ade20k-512x512.py',
     'SAREncoderDecoder', "(MaskFormerHead), MaskFormer's head, a mask "
     'classifier'),
    'PointRend':
    ('point_rend/pointrend_r50_4xb4-160k_ade20k-512x512.py',
     'SARCascadeEncoderDecoder', 'point heads are not supported'),
    'K-Net':
    ('knet/knet-s3_r50-d8_fcn_8xb2-adamw-80k_ade20k-512x512.py',
     'SAREncoderDecoder', "(IterativeDecodeHead), K-Net's head"),
    'Segmenter (mask transformer)':
    ('segmenter/segmenter_vit-t_mask_8xb1-160k_ade20k-512x512.py',
     'SAREncoderDecoder', "Segmenter's mask transformer"),
    'SAN':
    ('san/san-vit-b16_voc12aug-640x640.py', 'SAREncoderDecoder',
     'it is another kind of segmentor'),
    'OCRNet as SAREncoderDecoder':
    (OCRNET, 'SAREncoderDecoder', "use type='SARCascadeEncoderDecoder'"),
    'PSPNet as SARCascadeEncoderDecoder':
    (PSPNET, 'SARCascadeEncoderDecoder', "use type='SAREncoderDecoder'"),
}
# trained through tools/train.py, pre-flight checks included
STDC = 'stdc/stdc1_4xb12-80k_cityscapes-512x1024.py'
# fails in mmseg 1.2.2 itself (class-weighted CE on ignored pixels):
# refused at the first batch through tools/train.py
CGNET = 'cgnet/cgnet_fcn_4xb4-60k_cityscapes-680x680.py'


def test_the_matrix_covers_at_least_25_architectures():
    architectures = {name.split(' ')[0] for name in [
        *ENCODER_DECODERS, *CASCADES, *REFUSED, 'STDC', 'CGNet']}
    assert len(architectures) >= 25, sorted(architectures)


@pytest.mark.parametrize(
    'path,segmentor',
    [(path, 'SAREncoderDecoder') for path in ENCODER_DECODERS.values()] +
    [(path, 'SARCascadeEncoderDecoder') for path in CASCADES.values()],
    ids=[*ENCODER_DECODERS, *CASCADES])
def test_trains_with_sar(path, segmentor):
    model = build(upstream(path).model, type=segmentor, sar=dict())
    head = model.sar_head
    assert model.sar.num_classes == head.num_classes
    assert model.sar.feat_channels == head.conv_seg.in_channels
    log = train_step(model)
    for key in SAR_LOGS:
        assert key in log and torch.isfinite(log[key]), key


@pytest.fixture(scope='module')
def fake_ade(tmp_path_factory):
    return write_fake_ade20k(tmp_path_factory.mktemp('ade'), 2, 1)


def sar_config(tmp_path, base, segmentor, model='', body=''):
    """A user's config: the mmseg one with the documented SAR switch (and
    ``model`` / ``body``, more of the model dict / more lines)."""
    path = tmp_path / 'sar_config.py'
    path.write_text(f"_base_ = ['mmseg::{base}']\n"
                    f"model = dict(type='{segmentor}', sar=dict(){model})\n"
                    + textwrap.dedent(body))
    return path


@pytest.mark.slow
@pytest.mark.parametrize('name', list(REFUSED))
def test_refused_in_one_line(name, tmp_path, fake_ade):
    base, segmentor, says = REFUSED[name]
    roots = [f'{loader}_dataloader.dataset.data_root={fake_ade}'
             for loader in ('train', 'val', 'test')]
    result = run_tool(['train.py', sar_config(tmp_path, base, segmentor),
                       '--work-dir', 'wd', '--cfg-options', *roots], tmp_path)
    assert says in one_error_line(result)


def tiny_cityscapes(tmp_path, base):
    """The SAR switch on a Cityscapes config, with fake data at 32x64, no
    resizing, one iteration and a validation."""
    root = write_fake_cityscapes(tmp_path / 'cityscapes', 2, 1)
    return sar_config(
        tmp_path, base, 'SAREncoderDecoder',
        ', data_preprocessor=dict(size=(32, 64))', f"""
        pipeline = [
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(type='PackSegInputs'),
        ]
        loader = dict(
            batch_size=2,
            num_workers=0,
            persistent_workers=False,
            dataset=dict(data_root='{root}', pipeline=pipeline))
        train_dataloader = loader
        val_dataloader = dict(loader, batch_size=1)
        test_dataloader = val_dataloader
        train_cfg = dict(max_iters=1, val_interval=1)
        default_hooks = dict(logger=dict(interval=1))
        """)


@pytest.mark.slow
def test_stdc_trains_through_the_tools(tmp_path):
    """STDC's third auxiliary head predicts boundaries (2 classes) by
    design; the class-count pre-flight check must not refuse it."""
    result = run_tool(
        ['train.py', tiny_cityscapes(tmp_path, STDC), '--work-dir', 'wd'],
        tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    log = next(r for r in scalars(tmp_path / 'wd') if 'loss' in r)
    for key in SAR_LOGS:
        assert key in log, key
    assert 'aux_2.loss_dice' in log  # the boundary head trained too


@pytest.mark.slow
def test_class_weighted_cross_entropy_is_refused_in_one_line(tmp_path):
    result = run_tool(
        ['train.py', tiny_cityscapes(tmp_path, CGNET), '--work-dir', 'wd'],
        tmp_path)
    assert one_error_line(result) == (
        "ERROR: model.decode_head.loss_decode is mmseg's CrossEntropyLoss "
        'with class_weight, which in mmseg 1.2.2 indexes the weights with the '
        'raw labels and fails on the ignore label 255. Put '
        "dict(type='ClassBalancedCrossEntropyLoss', class_weight=[...]) in "
        "its place (with _delete_=True when it overrides a base config's "
        'dict): the class-weighted mean over the valid pixels.')
