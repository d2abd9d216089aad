# UniMatch, Pascal VOC 2012 with 183 labelled images and 10399 unlabelled:
# the 1,464 config with this split; 80 epochs of the unlabelled set
# (10399 // 8 x 80 = 103920 iterations). UniMatch's published result
# (reference, not reproduced here): 77.2 mIoU.
_base_ = ['./unimatch-deeplabv3plus_r101-d16_4xb4-91k_voc12aug-1464-321x321.py']  # noqa: E501
split_dir = 'data/unimatch_splits/pascal/183'
train_dataloader = dict(
    dataset=dict(datasets=[
        dict(_base_.labelled, split_file=f'{split_dir}/labeled.txt'),
        dict(_base_.unlabelled, split_file=f'{split_dir}/unlabeled.txt')
    ]))
max_iters = 103920
param_scheduler = [dict(_base_.param_scheduler[0], end=max_iters)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 10)
default_hooks = dict(checkpoint=dict(interval=max_iters // 10))
