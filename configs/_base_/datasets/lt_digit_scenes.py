# LTDigitScenes: built-in long-tailed scenes of real handwritten digits,
# generated under data_root on first use (see sar_mm/datasets).
dataset_type = 'LTDigitScenes'
data_root = 'data/lt_digit_scenes'
crop_size = (64, 64)
# Digits are not mirror-symmetric, so no flips.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(64, 64),
        ratio_range=(0.8, 1.25),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.95),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='img_dir/train', seg_map_path='ann_dir/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# Per-class IoU/Acc and head / medium / tail mIoU, with the groups of the
# train split's class statistics, made by
#   python tools/analysis_tools/class_stats.py \
#     configs/demo/fcn_lt-digit-scenes.py \
#     --out configs/_base_/datasets/lt_digit_scenes_class_stats.json
class_stats = '{{fileDirname}}/lt_digit_scenes_class_stats.json'
val_evaluator = dict(
    type='LTIoUMetric', iou_metrics=['mIoU'], stats_file=class_stats)
test_evaluator = val_evaluator
