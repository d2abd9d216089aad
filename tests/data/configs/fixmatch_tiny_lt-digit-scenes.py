# The FixMatch demo shrunk for tests: the tiny scenes (24 train, 1/8 = 3
# labelled), batches of 2 labelled + 2 unlabelled, a few iterations.
_base_ = [
    '../../../configs/semi/fixmatch-fcn_r18-d8_1xb8-1k_lt-digit-scenes-1-8-64x64.py'  # noqa: E501
]
scenes = dict(
    type='LTDigitScenes',
    data_root='data/lt_digit_scenes_tiny',
    num_train=24,
    num_val=6)
split_dir = 'data/lt_digit_scenes_tiny/splits/1_8'
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(batch_size=4, seed=0),
    dataset=dict(datasets=[
        dict(
            _base_.labelled,
            dataset=scenes,
            split_file=f'{split_dir}/labeled.txt'),
        dict(
            _base_.unlabelled,
            dataset=scenes,
            split_file=f'{split_dir}/unlabeled.txt')
    ]))
val_dataloader = dict(
    num_workers=0, persistent_workers=False, dataset=dict(scenes))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=8, val_interval=8)
default_hooks = dict(
    logger=dict(interval=2), checkpoint=dict(interval=4, max_keep_ckpts=3))
