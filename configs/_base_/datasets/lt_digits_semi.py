# Semi-supervised LTDigits (built in, real handwritten digits, 16x16): the
# balanced training pool (124 digits per class) split into 5 labelled
# digits per class and the other 119 unlabelled (PerClassSplitDataset), the
# balanced test split for evaluation. FixMatch's batch: B labelled and
# mu * B unlabelled images, each of the latter as a weak and a strong view.
dataset_type = 'LTDigits'
img_size = 16
mu = 7
labelled_batch = 8
data_preprocessor = dict(
    num_classes=10, mean=[78.1] * 3, std=[81.4] * 3, to_rgb=False)
pool = dict(type=dataset_type, imbalance_ratio=1, n_max=124,
            img_size=img_size)
split = dict(labelled_per_class=5)

# Weak view: FixMatch's translation by up to 12.5 % (random crop from a
# reflect-padded image). Digits are not mirror-symmetric: no flip (as
# FixMatch does on SVHN).
weak_view = [
    dict(
        type='RandomCrop',
        crop_size=img_size,
        padding=img_size // 8,
        padding_mode='reflect'),
]
# Strong view: the weak one, then RandAugment over FixMatch's pool (two
# operations drawn per image, each applied with p = 0.5 at a uniform random
# magnitude; the pool's Identity is left out, mmpretrain has none), then a
# Cutout of half the image side filled with grey.
strong_view = [
    *weak_view,
    dict(type='FixMatchRandAugment'),
    dict(type='Cutout', shape=img_size // 2, pad_val=128, prob=1.0),
]
branch_field = ['sup', 'unsup_weak', 'unsup_strong']
labelled_pipeline = [
    dict(
        type='MultiBranch',
        branch_field=branch_field,
        sup=[*weak_view, dict(type='PackInputs')]),
]
unlabelled_pipeline = [
    dict(
        type='MultiBranch',
        branch_field=branch_field,
        unsup_weak=[*weak_view, dict(type='PackInputs')],
        unsup_strong=[*strong_view, dict(type='PackInputs')]),
]

train_dataloader = dict(
    batch_size=labelled_batch * (1 + mu),
    num_workers=0,
    sampler=dict(
        type='MultiSourceSampler',
        batch_size=labelled_batch * (1 + mu),
        source_ratio=[1, mu]),
    # keeps the per-branch dicts (with None for absent branches) as lists
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='PerClassSplitConcatDataset',
        dataset=pool,
        labelled_pipeline=labelled_pipeline,
        unlabelled_pipeline=unlabelled_pipeline,
        **split))
# The supervised-only baseline's training set: the labelled part, weak view.
supervised_set = dict(
    type='PerClassSplitDataset',
    dataset=pool,
    part='labelled',
    pipeline=[*weak_view, dict(type='PackInputs')],
    **split)
val_dataloader = dict(
    batch_size=100,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        split='test',
        img_size=img_size,
        pipeline=[dict(type='PackInputs')]))
test_dataloader = val_dataloader
# Shot groups by the labelled counts (ClassCountsHook hands the training
# split's over): many-shot > 10 labelled digits, few-shot < 5. In the
# long-tailed split: digits 0-2 and 6-9; balanced, all classes are medium.
val_evaluator = dict(type='LTAccuracy', many_thresh=10, few_thresh=5)
test_evaluator = val_evaluator
