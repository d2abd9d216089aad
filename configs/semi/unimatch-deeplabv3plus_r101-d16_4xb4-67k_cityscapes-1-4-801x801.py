# The R50 config on ResNet-101. UniMatch's published result (reference, not
# reproduced here): 79.2 mIoU.
_base_ = ['./unimatch-deeplabv3plus_r50-d16_4xb4-67k_cityscapes-1-4-801x801.py']  # noqa: E501
model = dict(
    segmentor=dict(
        pretrained='open-mmlab://resnet101_v1c', backbone=dict(depth=101)))
