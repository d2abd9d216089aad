# BCL on ImageNet-LT with ResNeXt-50 (32x4d); otherwise as the ResNet-50
# config (the paper's 57.2 top-1 is this model, "sim-sim" views).
_base_ = ['./bcl_resnet50_4xb64_imagenet-lt.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNeXt',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        groups=32,
        width_per_group=4,
        style='pytorch'))
