# UniMatch, Cityscapes with 1/4 of the train images labelled and
# 2231 unlabelled: the 1/16 config with this split; 240 epochs of the
# unlabelled set (2231 // 8 x 240 = 66720 iterations). UniMatch's
# published result (reference, not reproduced here): 77.5 mIoU.
_base_ = ['./unimatch-deeplabv3plus_r50-d16_4xb4-84k_cityscapes-1-16-801x801.py']  # noqa: E501
split_dir = 'data/unimatch_splits/cityscapes/1_4'
train_dataloader = dict(
    dataset=dict(datasets=[
        dict(_base_.labelled, split_file=f'{split_dir}/labeled.txt'),
        dict(_base_.unlabelled, split_file=f'{split_dir}/unlabeled.txt')
    ]))
max_iters = 66720
param_scheduler = [dict(_base_.param_scheduler[0], end=max_iters)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 10)
default_hooks = dict(checkpoint=dict(interval=max_iters // 10))
