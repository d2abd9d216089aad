# FixMatch's optimisation (SGD, Nesterov momentum 0.9, lr 0.03, weight
# decay 5e-4, lr * cos(7 pi k / 16 K), no warm-up; evaluation of an EMA of
# the weights), run for a CPU-sized number of iterations, and the runtime
# around it.
_base_ = ['mmpretrain::_base_/default_runtime.py']
max_iters = 600
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.03, momentum=0.9, nesterov=True,
        weight_decay=5e-4))
param_scheduler = [dict(type='FixMatchCosineLR', end=max_iters)]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=False, interval=max_iters))
log_processor = dict(by_epoch=False)
custom_hooks = [
    dict(type='ClassCountsHook'),
    # mmpretrain's EMAHook evaluates the averaged weights. FixMatch's decay
    # 0.999 (momentum 0.001) averages over ~1,000 of its 2^20 steps; over a
    # 600-step run it would still weigh the first steps' weights (55 %),
    # so the demos average over ~100 steps (decay 0.99), and also evaluate
    # the raw weights (metrics suffixed _origin): this early in training
    # the average trails them.
    dict(type='EMAHook', momentum=0.01, evaluate_on_origin=True),
]
randomness = dict(seed=0)
