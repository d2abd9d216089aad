# UniMatch (feature perturbation, two strong views) training DeepLabV3+
# R50-D16; the datasets' configs set the classes and the crop.
_base_ = ['./deeplabv3plus_r50-d16.py']
model = dict(_delete_=True, type='UniMatchSegmentor', segmentor=_base_.model)
