# Semi-supervised CIFAR-10 in FixMatch's protocol: N labelled images per
# class drawn once per split seed (the "fold") from the training set, the
# whole training set as the unlabelled data (labels unused), the test set
# for evaluation. Batch: 64 labelled + mu * 64 unlabelled images (mu = 7),
# each unlabelled image as a weak and a strong view. The python version of
# CIFAR is read from data_root (README, "Preparing datasets"); CIFAR10LT
# with imbalance ratio 1 is the whole, balanced set, read without download.
dataset_type = 'CIFAR10LT'
data_root = 'data/cifar10'
mu = 7
labelled_batch = 64
data_preprocessor = dict(
    num_classes=10,
    mean=[125.307, 122.961, 113.8575],
    std=[51.5865, 50.847, 51.255],
    to_rgb=False)  # CIFAR arrays are RGB
pool = dict(type=dataset_type, data_root=data_root, imbalance_ratio=1)

# weak: flip + translation by up to 12.5 % (crop from a reflect-padded
# image); strong: the weak view, RandAugment over FixMatch's pool (two
# operations per image, each with p = 0.5 at a uniform random magnitude;
# its Identity is left out, mmpretrain has none), a 16x16 grey Cutout.
weak_view = [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomCrop', crop_size=32, padding=4, padding_mode='reflect'),
]
strong_view = [
    *weak_view,
    dict(type='FixMatchRandAugment'),
    dict(type='Cutout', shape=16, pad_val=128, prob=1.0),
]
branch_field = ['sup', 'unsup_weak', 'unsup_strong']
train_dataloader = dict(
    batch_size=labelled_batch * (1 + mu),
    num_workers=8,
    persistent_workers=True,
    sampler=dict(
        type='MultiSourceSampler',
        batch_size=labelled_batch * (1 + mu),
        source_ratio=[1, mu]),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='PerClassSplitConcatDataset',
        dataset=pool,
        labelled_per_class=4,
        unlabelled_includes_labelled=True,
        labelled_pipeline=[
            dict(
                type='MultiBranch',
                branch_field=branch_field,
                sup=[*weak_view, dict(type='PackInputs')]),
        ],
        unlabelled_pipeline=[
            dict(
                type='MultiBranch',
                branch_field=branch_field,
                unsup_weak=[*weak_view, dict(type='PackInputs')],
                unsup_strong=[*strong_view, dict(type='PackInputs')]),
        ]))
val_dataloader = dict(
    batch_size=256,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        imbalance_ratio=1,
        pipeline=[dict(type='PackInputs')]))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator
