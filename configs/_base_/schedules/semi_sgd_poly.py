# UniMatch's optimiser: SGD, momentum 0.9, weight decay 1e-4, poly (power
# 0.9) per iteration down to 0, iteration-based (the sources of a
# semi-supervised batch differ in size, so there are no epochs). Configs set
# the learning rate and the number of iterations.
_base_ = ['mmseg::_base_/schedules/schedule_80k.py']
optim_wrapper = dict(optimizer=dict(lr=0.001, weight_decay=1e-4))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=0,
        end=80000,
        by_epoch=False)
]
