# DeepLabV3+'s decoder for the small ResNet-18-D8 of the LTDigitScenes demos
# (16-32-64-128 channels, 64 x 64 scenes): ASPP on the stride-8 features,
# fused with the stride-4 features of the first stage. Digits are thin
# strokes about 16 px wide; even a perfect stride-8 map, upsampled, reaches
# only 52 mIoU on the val scenes (81 at stride 4). UniMatch's segmentor is
# DeepLabV3+ too. Measured (benchmarks/semi_seg.py --decoder deeplabv3plus,
# seed 0, 1/8, 3k): no better than the FCN, whose models sit far below
# either ceiling. ASPP rates are scaled to the 8 x 8 map as UniMatch's
# 6/12/18 are to its 21 x 21 (321 px crops at stride 16).
decode_head = dict(
    type='DepthwiseSeparableASPPHead',
    in_channels=128,
    in_index=3,
    channels=64,
    dilations=(1, 2, 4, 6),
    c1_in_channels=16,
    c1_channels=16,
    dropout_ratio=0.1,
    num_classes=11,
    norm_cfg=dict(type='BN', requires_grad=True),
    align_corners=False,
    loss_decode=dict(
        type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0))
