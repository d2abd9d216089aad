# UniMatch, Cityscapes with 1/16 of the train images labelled (186) and
# 2,789 unlabelled: DeepLabV3+ R50-D16, 4 GPUs x (2 labelled + 2
# unlabelled), crop 801, SGD lr 0.005 (no head multiplier), momentum 0.9,
# weight decay 1e-4, poly 0.9 to 0 over 240 epochs of the unlabelled set
# (2,789 // 8 x 240 = 83,520 iterations); the labelled loss is OHEM
# cross-entropy (threshold 0.7, 200,000 pixels kept per 2 images); the
# pseudo-label threshold is 0 (UniMatch's Cityscapes setting; the SAR
# configs pull only pixels above sar.unsup_conf_thresh=0.95);
# sliding-window evaluation (801 window, stride 534). UniMatch's published result (reference, not
# reproduced here): 75.0 mIoU.
_base_ = [
    '../_base_/models/unimatch_deeplabv3plus_r50-d16.py',
    '../_base_/datasets/semi_cityscapes.py',
    'mmseg::_base_/default_runtime.py',
    '../_base_/schedules/semi_sgd_poly.py'
]
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)
# every branch of a batch padded to the crop (the Runner hands this to the
# model, which wraps it in MultiBranchDataPreprocessor)
data_preprocessor = dict(size=_base_.crop_size)
model = dict(
    segmentor=dict(
        data_preprocessor=dict(size=_base_.crop_size),
        decode_head=dict(
            num_classes=19,
            sampler=dict(
                type='OHEMPixelSampler', thresh=0.7, min_kept=100000)),
        test_cfg=dict(mode='slide', crop_size=(801, 801), stride=(534, 534))),
    semi_train_cfg=dict(conf_thresh=0.0))

max_iters = 83520
optim_wrapper = dict(optimizer=dict(lr=0.005))
param_scheduler = [dict(_base_.param_scheduler[0], end=max_iters)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 10)
default_hooks = dict(checkpoint=dict(interval=max_iters // 10))
