# DeepLabV3+ on ResNet-50-D16 with UniMatch's decoder choices (model/semseg/
# deeplabv3plus.py of github.com/LiheYoung/UniMatch): output stride 16
# (dilation in the last stage only), ASPP rates 6/12/18 into 256 channels,
# no dropout before the classifier, no auxiliary head, logits upsampled with
# align_corners=True. mmseg's DepthwiseSeparableASPPHead and ResNetV1c stem
# differ from UniMatch's plain-conv ASPP and 64-64-128 stem, so numbers are
# comparable in trend, not to the decimal.
_base_ = ['mmseg::_base_/models/deeplabv3plus_r50-d8.py']
model = dict(
    backbone=dict(dilations=(1, 1, 1, 2), strides=(1, 2, 2, 1)),
    decode_head=dict(
        dilations=(1, 6, 12, 18),
        channels=256,
        dropout_ratio=0.0,
        align_corners=True),
    auxiliary_head=None)
