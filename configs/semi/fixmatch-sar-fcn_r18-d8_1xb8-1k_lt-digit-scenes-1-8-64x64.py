# FixMatch + SAR: one switch on the FixMatch demo.
_base_ = ['./fixmatch-fcn_r18-d8_1xb8-1k_lt-digit-scenes-1-8-64x64.py']
model = dict(sar=dict())
