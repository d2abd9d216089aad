# The R50 config on ResNet-101. UniMatch's published result (reference, not
# reproduced here): 77.9 mIoU.
_base_ = ['./unimatch-deeplabv3plus_r50-d16_4xb4-78k_cityscapes-1-8-801x801.py']  # noqa: E501
model = dict(
    segmentor=dict(
        pretrained='open-mmlab://resnet101_v1c', backbone=dict(depth=101)))
