# The tiny SAR config with the long-tailed pixel sampler (running estimate,
# hard mining) and the class-balanced cross-entropy: every module of a
# long-tailed segmentation step of sar_mm at once.
_base_ = ['./fcn_tiny_lt-digit-scenes_sar.py']
model = dict(
    decode_head=dict(
        sampler=dict(type='LongTailPixelSampler', hard_fraction=0.5),
        loss_decode=dict(
            _delete_=True,
            type='ClassBalancedCrossEntropyLoss',
            class_weight=[0.5] + [1.0] * 10)))
