# FCN-HRNetV2-W48 (D=720) + SAR, ADE20K 160k: the reference's released setup. Upstream FCN-HR48 baseline: 42.02 mIoU.
_base_ = ['mmseg::hrnet/fcn_hr48_4xb4-160k_ade20k-512x512.py']
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)
model = dict(type='SAREncoderDecoder', sar=dict())
