# UniMatch, Pascal VOC 2012 with 1,464 labelled images (UniMatch's
# high-quality split) and the other 9,118 of the 10,582 unlabelled:
# DeepLabV3+ R101-D16, 4 GPUs x (2 labelled + 2 unlabelled), SGD lr 0.001
# (decode head x10), momentum 0.9, weight decay 1e-4, poly 0.9 to 0 over
# 80 epochs of the unlabelled set (9,118 // 8 x 80 = 91,120 iterations).
# UniMatch's published result (reference, not reproduced here): 81.2 mIoU.
_base_ = [
    '../_base_/models/unimatch_deeplabv3plus_r50-d16.py',
    '../_base_/datasets/semi_pascal_voc12_aug.py',
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
        decode_head=dict(num_classes=21)),
    semi_train_cfg=dict(conf_thresh=0.95))

max_iters = 91120
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys=dict(decode_head=dict(lr_mult=10.0))))
param_scheduler = [dict(_base_.param_scheduler[0], end=max_iters)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 10)
default_hooks = dict(checkpoint=dict(interval=max_iters // 10))
