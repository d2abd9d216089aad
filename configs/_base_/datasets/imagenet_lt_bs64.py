# ImageNet-LT (sar_mm.datasets.ImageNetLT): the standard split files
# ImageNet_LT_{train,val,test}.txt in data_root, next to ImageNet's train/
# and val/ folders. Batch 64 per GPU. Augmentations of BCL's ImageNet-LT
# recipe (main.py of FlamieZhu/Balanced-Contrastive-Learning).
_base_ = ['mmpretrain::_base_/datasets/imagenet_bs32.py']

dataset_type = 'ImageNetLT'
data_root = 'data/imagenet_lt'
bgr_mean = [round(x) for x in _base_.data_preprocessor.mean[::-1]]

classification_view = [
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
    dict(
        type='RandAugment',
        policies='timm_increasing',
        num_policies=2,
        total_level=10,
        magnitude_level=10,
        magnitude_std=0.5,
        hparams=dict(pad_val=bgr_mean)),
]
contrastive_view = [
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    # torchvision's ColorJitter (through PIL): mmcv 2.1's hue shift fails
    # under numpy 2 (OverflowError in mmcv.image.adjust_hue)
    dict(
        type='RandomApply',
        transforms=[
            dict(type='NumpyToPIL', to_rgb=True),
            dict(
                type='torchvision/ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.4,
                hue=0.1),
            dict(type='PILToNumpy', to_bgr=True),
        ],
        prob=0.8),
    # LoadImageFromFile gives BGR
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),
]
train_pipeline = [
    dict(type='LoadImageFromFile'), *classification_view,
    dict(type='PackInputs')
]
# BCL/RCL: 1 classification view + 2 contrastive views per image
# (MultiViewImageClassifier).
multiview_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiView',
        num_views=[1, 2],
        transforms=[classification_view, contrastive_view]),
    dict(type='PackInputs'),
]

# default_collate (fixed 224x224 crops) stacks a batch, or one batch per
# view for multi-view pipelines.
train_dataloader = dict(
    batch_size=64,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        split='val',
        pipeline=_base_.test_pipeline))
# ImageNet-LT's test split: 50 images per class (ImageNet's validation set)
test_dataloader = dict(
    val_dataloader, dataset=dict(val_dataloader['dataset'], split='test'))
val_evaluator = dict(_delete_=True, type='LTAccuracy')
test_evaluator = val_evaluator

custom_hooks = [dict(type='ClassCountsHook')]
