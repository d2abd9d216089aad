_base_ = ['./fcn_tiny_lt-digit-scenes.py']
model = dict(type='SAREncoderDecoder', sar=dict())
