# Supervised-only baseline of the semi-supervised demos: the FCN demo
# (configs/demo/fcn_lt-digit-scenes.py: same model, crop, augmentation and
# batch of 8) trained on the labelled 1/8 of the LTDigitScenes train split
# only, for 1,000 iterations. The split files are generated with the
# scenes.
_base_ = ['../demo/fcn_lt-digit-scenes.py']
split_dir = 'data/lt_digit_scenes/splits/1_8'
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='SemiSplitDataset',
        dataset=dict(type='LTDigitScenes', data_root='data/lt_digit_scenes'),
        split_file=f'{split_dir}/labeled.txt',
        pipeline=_base_.train_pipeline))

max_iters = 1000
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
