# LTDigits: built-in long-tailed real handwritten digits (sklearn's 8x8
# digits upscaled to 16x16), imbalance ratio 10, balanced test split. Train
# images per class at ratio 10: 120, 93, 71, 55, 42, 33, 25, 19, 15, 12.
dataset_type = 'LTDigits'
img_size = 16
data_preprocessor = dict(
    num_classes=10, mean=[78.1] * 3, std=[81.4] * 3, to_rgb=False)

# Digits are not mirror-symmetric: no flips.
classification_view = [
    dict(type='RandomCrop', crop_size=img_size, padding=2),
]
contrastive_view = [
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.5, 1)),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4)],
        prob=0.8),
]
train_pipeline = [*classification_view, dict(type='PackInputs')]
multiview_train_pipeline = [
    dict(
        type='MultiView',
        num_views=[1, 2],
        transforms=[classification_view, contrastive_view]),
    dict(type='PackInputs'),
]

# default_collate stacks a batch, or one batch per view for multi-view
# pipelines (MultiViewImageClassifier).
train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    collate_fn=dict(type='default_collate'),
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        img_size=img_size,
        imbalance_ratio=10,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=100,
    num_workers=0,
    collate_fn=dict(type='default_collate'),
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        split='test',
        img_size=img_size,
        pipeline=[dict(type='PackInputs')]))
test_dataloader = val_dataloader
# With at most 120 images per class, many-shot means > 60 and few-shot < 20,
# so that each group holds at least two classes at ratios 10 and 50.
val_evaluator = dict(type='LTAccuracy', many_thresh=60, few_thresh=20)
test_evaluator = val_evaluator

custom_hooks = [dict(type='ClassCountsHook')]
