# Your own dataset in MMSegmentation's layout (docs/en/user_guides/
# own_dataset.md): JPEG images and PNG masks of the same name under
#   data/my_set/img_dir/{train,val}/   data/my_set/ann_dir/{train,val}/
# `python tools/dataset_converters/toy_segmentation.py data/my_set` writes a
# toy one. Mask values: 0 unlabelled, 1 background, 2 disc, 3 square; with
# reduce_zero_label=True, 0 becomes the ignore index (255) and 1, 2, 3 the
# classes 0, 1, 2 listed in metainfo.
data_root = 'data/my_set'
metainfo = dict(
    classes=('background', 'disc', 'square'),
    palette=[[128, 128, 128], [220, 20, 60], [0, 0, 142]])
my_dataset = dict(
    type='BaseSegDataset',
    data_root=data_root,
    metainfo=metainfo,
    img_suffix='.jpg',
    seg_map_suffix='.png',
    reduce_zero_label=True)
crop_size = (64, 64)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(64, 64),
        ratio_range=(0.8, 1.25),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        my_dataset,
        data_prefix=dict(
            img_path='img_dir/train', seg_map_path='ann_dir/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        my_dataset,
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# Per-class IoU and head / medium / tail mIoU; the groups come from the
# train split's class statistics, written by
#   python tools/analysis_tools/class_stats.py \
#     configs/own_dataset/fcn_r18-d8_1xb4-100_my-set-64x64.py \
#     --out data/my_set/class_stats.json
val_evaluator = dict(
    type='LTIoUMetric',
    iou_metrics=['mIoU'],
    stats_file=f'{data_root}/class_stats.json')
test_evaluator = val_evaluator
