# The CIFAR-LT schedule of BCL (methods.md 2.4): 200 epochs of SGD, batch
# 256, lr 0.15, weight decay 5e-4, 5 linear warm-up epochs, then cosine.
_base_ = ['mmpretrain::_base_/schedules/cifar10_bs128.py']

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.15, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.2,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=5, end=200),
]
train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=10)
auto_scale_lr = dict(base_batch_size=256)
