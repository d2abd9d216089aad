# The supervised FCN with Semantic Anchor Regularization: one changed line.
_base_ = ['./fcn_r18-d8_1xb4-100_my-set-64x64.py']
model = dict(type='SAREncoderDecoder', sar=dict())
