# UniMatch, ADE20K with 1/64 of the train images labelled (316) and 19,894
# unlabelled (UniMatch-V2's splits): DeepLabV3+ R101-D16, 4 GPUs x (2
# labelled + 2 unlabelled), crop 512, SGD lr 0.001 (decode head x10),
# momentum 0.9, weight decay 1e-4, poly 0.9 to 0 over 60 epochs of the
# unlabelled set (UniMatch-V2's count; 19,894 // 8 x 60 = 149,160
# iterations). UniMatch V1 has no ADE20K protocol: the optimiser is its
# Pascal one. Published result of UniMatch R101 (UniMatch-V2's README;
# reference, not reproduced here): 21.6 mIoU.
_base_ = [
    '../_base_/models/unimatch_deeplabv3plus_r50-d16.py',
    '../_base_/datasets/semi_ade20k.py',
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
        pretrained='open-mmlab://resnet101_v1c',
        backbone=dict(depth=101),
        decode_head=dict(num_classes=150)),
    semi_train_cfg=dict(conf_thresh=0.95))

max_iters = 149160
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys=dict(decode_head=dict(lr_mult=10.0))))
param_scheduler = [dict(_base_.param_scheduler[0], end=max_iters)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 10)
default_hooks = dict(checkpoint=dict(interval=max_iters // 10))
