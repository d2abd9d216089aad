# ViT-B/16 on ImageNet (mmpretrain's recipe) with SAR on its
# VisionTransformerClsHead: the pre-logits features (the 3072-d hidden
# layer) are pulled to their class anchor, the anchors go through
# layers.head. SAR pulls each image towards the anchor of its hard label,
# so the recipe's Mixup is dropped (label smoothing stays).
_base_ = ['mmpretrain::vision_transformer/vit-base-p16_64xb64_in1k.py']
custom_imports = dict(imports=['sar_mm'], allow_failed_imports=False)
model = dict(type='SARImageClassifier', sar=dict(), train_cfg=None)
