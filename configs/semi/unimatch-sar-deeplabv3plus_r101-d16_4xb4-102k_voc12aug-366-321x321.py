# The UniMatch config with Semantic Anchor Regularization: one switch.
_base_ = ['./unimatch-deeplabv3plus_r101-d16_4xb4-102k_voc12aug-366-321x321.py']  # noqa: E501
model = dict(sar=dict())
