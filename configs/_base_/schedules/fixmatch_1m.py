# FixMatch's schedule (google-research/fixmatch): 2^20 iterations of SGD
# with Nesterov momentum 0.9, lr 0.03 decayed as cos(7 pi k / 16 K), no
# warm-up, weight decay 5e-4 (CIFAR-10); evaluation of the EMA of the
# weights, decay 0.999 (mmpretrain EMAHook momentum 0.001), every 2^13
# iterations (FixMatch reports the median accuracy of the last 20).
_base_ = ['mmpretrain::_base_/default_runtime.py']
max_iters = 2**20
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.03, momentum=0.9, nesterov=True,
        weight_decay=5e-4))
param_scheduler = [dict(type='FixMatchCosineLR', end=max_iters)]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=2**13)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(by_epoch=False, interval=2**13, max_keep_ckpts=20))
log_processor = dict(by_epoch=False)
custom_hooks = [dict(type='EMAHook', momentum=0.001)]
