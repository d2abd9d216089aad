# FixMatch + SAR on the built-in semi-supervised LTDigits: labelled
# features are pulled to the anchor of their label, strong views to the
# anchor of their confident pseudo-label. One changed line.
_base_ = ['./fixmatch_lt-digits-semi.py']
model = dict(sar=dict())
