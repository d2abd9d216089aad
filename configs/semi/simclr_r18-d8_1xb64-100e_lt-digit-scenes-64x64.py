# The "fair start" of the semi-supervised LTDigitScenes benchmark: SimCLR
# pre-training, without labels, of the demos' ResNet-18-D8 (mmseg
# ResNetV1c, width 16) on the 400 train scenes, the labelled and unlabelled
# ones alike. It plays the part ImageNet weights play in UniMatch's
# reference: every arm of benchmarks/semi_seg.py --start simclr starts from
# it. The backbone runs as in the FCN, dilated, on views of the FCN's crop
# size, so its last stage sees the 8 x 8 maps it will segment (undilated
# 32 x 32 views leave it 1 x 1 maps, whose 3 x 3 kernels learn only their
# centre). About 6 minutes on 2 CPU cores:
#   python tools/train.py \
#     configs/semi/simclr_r18-d8_1xb64-100e_lt-digit-scenes-64x64.py
# and then, for any demo of configs/semi/, the backbone's init_cfg:
#   dict(type='Pretrained', checkpoint=CHECKPOINT, prefix='backbone.')
# The SimCLR demo of LTDigits (same width, neck, head, optimiser, 100
# epochs), on the scenes, with the FCN's backbone and a plain schedule.
_base_ = ['../demo/simclr_lt-digits.py']

# the segmentation demos' normalisation (mmseg BGR images)
data_preprocessor = dict(
    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmseg.ResNetV1c',
        depth=18,
        stem_channels=16,
        base_channels=16,
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        contract_dilation=True,
        out_indices=(3, ),
        norm_cfg=dict(type='BN', requires_grad=True)))

# Two views of a scene: a random crop (a digit or several), resized to the
# FCN's 64 x 64, colour jitter and greyscale as in mmpretrain's SimCLR
# recipe; no flips (digits are not mirror-symmetric). mmseg's dataset
# builds its pipeline in the mmseg scope, hence the scope prefixes.
view_pipeline = [
    dict(
        type='mmpretrain.RandomResizedCrop',
        scale=64,
        crop_ratio_range=(0.2, 1.0)),
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='mmpretrain.ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.4,
                hue=0.1)
        ],
        prob=0.8),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.299)),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='mmseg.LTDigitScenes',
        data_root='data/lt_digit_scenes',
        data_prefix=dict(
            img_path='img_dir/train', seg_map_path='ann_dir/train'),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(
                type='mmpretrain.MultiView',
                num_views=2,
                transforms=[view_pipeline]),
            dict(type='mmpretrain.PackInputs')
        ]))

# a linear warm-up and one cosine (the demo restarts at GH's warm-up end)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=5),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-4,
        by_epoch=True,
        begin=5,
        end={{_base_.max_epochs}}),
]
default_hooks = dict(logger=dict(interval=24))
