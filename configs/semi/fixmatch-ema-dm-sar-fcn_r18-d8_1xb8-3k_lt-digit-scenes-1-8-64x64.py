# The same with SAR: one switch.
_base_ = ['./fixmatch-ema-dm-fcn_r18-d8_1xb8-3k_lt-digit-scenes-1-8-64x64.py']
model = dict(sar=dict())
