# FCN-HRNetV2-W48 + SAR, Cityscapes 80k: the reference's released setup. Upstream FCN-HR48 baseline: 79.93 mIoU.
_base_ = ['mmseg::hrnet/fcn_hr48_4xb2-80k_cityscapes-512x1024.py']
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)
model = dict(type='SAREncoderDecoder', sar=dict())
