# The UniMatch config with Semantic Anchor Regularization: one switch.
_base_ = ['./unimatch-deeplabv3plus_r101-d16_4xb4-105k_voc12aug-92-321x321.py']
model = dict(sar=dict())
