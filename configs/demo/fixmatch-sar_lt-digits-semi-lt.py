# FixMatch + SAR on the built-in long-tailed semi-supervised LTDigits.
_base_ = ['./fixmatch_lt-digits-semi-lt.py']
model = dict(sar=dict())
