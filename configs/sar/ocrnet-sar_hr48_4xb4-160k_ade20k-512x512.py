# OCRNet-HRNetV2-W48 + SAR on the last (OCR) head of the cascade, ADE20K 160k.
_base_ = ['mmseg::ocrnet/ocrnet_hr48_4xb4-160k_ade20k-512x512.py']
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)
model = dict(type='SARCascadeEncoderDecoder', sar=dict())
