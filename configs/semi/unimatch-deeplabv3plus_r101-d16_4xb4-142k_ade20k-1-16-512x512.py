# UniMatch, ADE20K with 1/16 of the train images labelled and 18947
# unlabelled: the 1/64 config with this split; 60 epochs of the unlabelled
# set (18947 // 8 x 60 = 142080 iterations). Published result of UniMatch
# R101 (UniMatch-V2's README; reference, not reproduced here): 31.5 mIoU.
_base_ = ['./unimatch-deeplabv3plus_r101-d16_4xb4-149k_ade20k-1-64-512x512.py']
split_dir = 'data/unimatch_splits/ade20k/1_16'
train_dataloader = dict(
    dataset=dict(datasets=[
        dict(_base_.labelled, split_file=f'{split_dir}/labeled.txt'),
        dict(_base_.unlabelled, split_file=f'{split_dir}/unlabeled.txt')
    ]))
max_iters = 142080
param_scheduler = [dict(_base_.param_scheduler[0], end=max_iters)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 10)
default_hooks = dict(checkpoint=dict(interval=max_iters // 10))
