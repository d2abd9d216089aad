# The CE demo with Semantic Anchor Regularization: one changed line.
_base_ = ['./ce_lt-digits.py']
model = dict(head=dict(type='SARLinearClsHead', sar=dict()))
