# UniMatch, Cityscapes with 1/2 of the train images labelled and
# 1487 unlabelled: the 1/16 config with this split; 240 epochs of the
# unlabelled set (1487 // 8 x 240 = 44400 iterations). UniMatch's
# published result (reference, not reproduced here): 78.6 mIoU.
_base_ = ['./unimatch-deeplabv3plus_r50-d16_4xb4-84k_cityscapes-1-16-801x801.py']  # noqa: E501
split_dir = 'data/unimatch_splits/cityscapes/1_2'
train_dataloader = dict(
    dataset=dict(datasets=[
        dict(_base_.labelled, split_file=f'{split_dir}/labeled.txt'),
        dict(_base_.unlabelled, split_file=f'{split_dir}/unlabeled.txt')
    ]))
max_iters = 44400
param_scheduler = [dict(_base_.param_scheduler[0], end=max_iters)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 10)
default_hooks = dict(checkpoint=dict(interval=max_iters // 10))
