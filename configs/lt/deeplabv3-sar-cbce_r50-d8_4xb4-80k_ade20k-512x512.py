# DeepLabV3-R50 on ADE20K with Semantic Anchor Regularization on top of the
# class-balanced cross-entropy: SAR pulls each class's features to its
# anchor, the loss weights rare classes up. Needs the class statistics of
# the class-balanced config (see there).
_base_ = ['./deeplabv3-cbce_r50-d8_4xb4-80k_ade20k-512x512.py']

model = dict(type='SAREncoderDecoder', sar=dict())
