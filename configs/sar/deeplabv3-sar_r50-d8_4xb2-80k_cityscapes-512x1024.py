# DeepLabV3-R50-D8 + SAR, Cityscapes 80k. Upstream baseline: 79.32 mIoU.
_base_ = ['mmseg::deeplabv3/deeplabv3_r50-d8_4xb2-80k_cityscapes-512x1024.py']
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)
model = dict(type='SAREncoderDecoder', sar=dict())
