# UniMatch (feature perturbation, two strong views) training DeepLabV3+
# R50-D16; the datasets' configs set the classes and the crop.
_base_ = ['./deeplabv3plus_r50-d16.py']
# The reference's loss weights: (L_x + 0.5 (L_s1 + L_s2) / 2 + 0.5 L_fp) / 2
model = dict(
    _delete_=True,
    type='UniMatchSegmentor',
    segmentor=_base_.model,
    semi_train_cfg=dict(sup_weight=0.5, unsup_weight=0.25, fp_weight=0.25))
