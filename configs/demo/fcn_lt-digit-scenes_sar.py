# The baseline demo with Semantic Anchor Regularization: two changed lines.
_base_ = ['./fcn_lt-digit-scenes.py']
model = dict(type='SAREncoderDecoder', sar=dict())
